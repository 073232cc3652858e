import { describe, expect, test } from 'vitest';
import { kustomize, parseManifests, RenderError, renderOverlay } from '../src/render.ts';
import { fixturesDir, k8sDir } from './helpers.ts';

const aConfigMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n';

describe('render', () => {
  test('a kustomization naming a missing file fails with kubectl’s reason', async () => {
    const rendering = renderOverlay(`${fixturesDir}/broken-kustomization`);
    await expect(rendering).rejects.toThrow(RenderError);
    await expect(rendering).rejects.toThrow(/missing\.yaml/);
  });

  test('without kubectl it says so instead of crashing', async () => {
    const rendering = kustomize(`${k8sDir}/overlays/kind`, 'kubectl-that-does-not-exist');
    await expect(rendering).rejects.toThrow(/not found on PATH/);
  });

  test('a document that is not a Kubernetes object is an error', () => {
    expect(() => parseManifests(`${aConfigMap}---\njust: a map\n`)).toThrow(
      /document 2 has no apiVersion, kind and metadata.name/,
    );
  });

  test('invalid YAML is an error', () => {
    expect(() => parseManifests('kind: [unclosed\n')).toThrow(RenderError);
  });

  test('empty documents are skipped', () => {
    const objects = parseManifests(`---\n${aConfigMap}---\n`);
    expect(objects).toHaveLength(1);
  });
});
