import { describe, expect, test } from 'vitest';
import { checkApiValidation } from '../src/api-validation.ts';
import { checkOverlay } from '../src/checks.ts';
import { checkContract, overlayServices } from '../src/contract.ts';
import { checkNamespaces, checkPodSecurity, checkProjectRules } from '../src/pod-security.ts';
import { listOverlays } from '../src/render.ts';
import { checkSchema } from '../src/schema.ts';
import { checkSelectorTargets } from '../src/selectors.ts';
import { k8sDir, renderRealOverlay } from './helpers.ts';

describe('the repository overlays', () => {
  test('every overlay folder is listed in the contract with the services it must render', async () => {
    const overlays = await listOverlays(`${k8sDir}/overlays`);
    expect(overlays).toContain('kind');
    expect(Object.keys(overlayServices).sort()).toEqual(overlays);
  });

  test('kind renders geo as a Deployment with its Service, HPA, PDB and NetworkPolicy', async () => {
    const refs = (await renderRealOverlay('kind')).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(refs).toEqual(
      expect.arrayContaining([
        'Namespace/quadrants',
        'Deployment/geo',
        'Service/geo',
        'HorizontalPodAutoscaler/geo',
        'PodDisruptionBudget/geo',
        'NetworkPolicy/geo-allow-http',
      ]),
    );
  });

  test('kind passes every check', async () => {
    const objects = await renderRealOverlay('kind');
    expect(checkSchema(objects)).toEqual([]);
    expect(checkApiValidation(objects)).toEqual([]);
    expect(checkPodSecurity(objects)).toEqual([]);
    expect(checkProjectRules(objects)).toEqual([]);
    expect(checkNamespaces(objects)).toEqual([]);
    expect(checkSelectorTargets(objects)).toEqual([]);
    expect(checkContract(objects, ['geo'])).toEqual([]);
    const outcomes = checkOverlay('kind', objects);
    expect(outcomes.filter((o) => o.violations.length > 0)).toEqual([]);
    expect(outcomes).toContainEqual({
      check: 'contract',
      subject: 'Deployment/geo',
      violations: [],
    });
  });
});
