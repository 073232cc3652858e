import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { fixturesDir, k8sDir } from './helpers.ts';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

function runMain(dir: string) {
  return spawnSync(process.execPath, [main, dir], { encoding: 'utf8' });
}

/** A k8s folder whose only overlay, `kind`, is the given fixture. */
async function aK8sDirWithKindOverlay(fixture: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'k8s-check-'));
  const overlay = join(dir, 'overlays', 'kind');
  await mkdir(overlay, { recursive: true });
  // kustomize takes only relative paths to other kustomizations.
  const target = relative(overlay, join(fixturesDir, fixture));
  await writeFile(join(overlay, 'kustomization.yaml'), `resources:\n  - ${target}\n`);
  return dir;
}

describe('node src/main.ts', () => {
  test('on the repository it prints a line per check and exits 0', () => {
    const run = runMain(k8sDir);
    expect(run.stdout).toMatch(/^ok +contract +kind Deployment\/geo$/m);
    expect(run.stdout).toMatch(/^\d+ passed, 0 failed$/m);
    expect(run.status).toBe(0);
  });

  test('when an overlay breaks the contract it names the field and exits 1', async () => {
    const run = runMain(await aK8sDirWithKindOverlay('geo-with-volume'));
    expect(run.stdout).toMatch(
      /^FAIL +contract +kind Deployment\/geo spec\.template\.spec\.volumes\[0\]: .*no volumes/m,
    );
    expect(run.stdout).toMatch(/^\d+ passed, 1 failed$/m);
    expect(run.status).toBe(1);
  });

  test('on the repository it prints the kind overlay’s requests against the laptop budget', () => {
    const run = runMain(k8sDir);
    expect(run.stdout).toMatch(
      /^ok +budget +kind Deployment\/geo +2 × +100m +96Mi = +200m CPU +192Mi/m,
    );
    expect(run.stdout).toMatch(
      /^ok +budget +kind total +\d+m of 2000m CPU, [\d.]+Mi of 3072Mi memory$/m,
    );
  });

  test('when the kind overlay’s requests are over the budget it fails with the total', async () => {
    const run = runMain(await aK8sDirWithKindOverlay('geo-over-budget'));
    expect(run.stdout).toMatch(
      /^FAIL +budget +kind total \d+m of 2000m CPU, \d+Mi of 3072Mi memory: over the budget in CPU$/m,
    );
    expect(run.stdout).toMatch(/^\d+ passed, 1 failed$/m);
    expect(run.status).toBe(1);
  });

  test('when an overlay does not render it says why and exits 1', async () => {
    const run = runMain(await aK8sDirWithKindOverlay('broken-kustomization'));
    expect(run.stdout).toMatch(/^FAIL +render +overlay kind: .*missing\.yaml/m);
    expect(run.status).toBe(1);
  });
});
