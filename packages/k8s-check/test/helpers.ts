import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { K8sObject } from '../src/manifest.ts';
import { parseManifests, renderOverlay } from '../src/render.ts';

export const k8sDir = fileURLToPath(new URL('../../../k8s', import.meta.url));
export const fixturesDir = fileURLToPath(new URL('./fixtures', import.meta.url));

/** The objects the repository's own overlay renders, e.g. `renderRealOverlay('kind')`. */
export function renderRealOverlay(name: string): Promise<K8sObject[]> {
  return renderOverlay(`${k8sDir}/overlays/${name}`);
}

/** A fixture overlay: the real base with one deliberate fault patched in. */
export function renderFixture(name: string): Promise<K8sObject[]> {
  return renderOverlay(`${fixturesDir}/${name}`);
}

/** A plain-YAML fixture, for shapes a patch over the real base cannot produce. */
export async function readFixture(file: string): Promise<K8sObject[]> {
  return parseManifests(await readFile(`${fixturesDir}/${file}`, 'utf8'));
}
