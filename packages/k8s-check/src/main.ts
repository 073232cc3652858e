// k8s check: renders every overlay in k8s/overlays and runs every check on what it renders.
// Usage: node src/main.ts [path/to/k8s]   (default: the repository's k8s folder)
// Prints one line per check and subject, and exits 1 if anything failed.
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkOverlay } from './checks.ts';
import { listOverlays, RenderError, renderOverlay } from './render.ts';

const k8sDir = resolve(process.argv[2] ?? fileURLToPath(new URL('../../../k8s', import.meta.url)));
const overlaysDir = join(k8sDir, 'overlays');

let passed = 0;
let failed = 0;

const overlays = await listOverlays(overlaysDir);
if (overlays.length === 0) {
  console.log(`FAIL  render        no overlay with a kustomization.yaml in ${overlaysDir}`);
  failed++;
}

for (const overlay of overlays) {
  let objects: Awaited<ReturnType<typeof renderOverlay>>;
  try {
    objects = await renderOverlay(join(overlaysDir, overlay));
  } catch (error) {
    if (!(error instanceof RenderError)) throw error;
    console.log(`FAIL  render        overlay ${overlay}: ${error.message}`);
    failed++;
    continue;
  }
  console.log(`ok    render        overlay ${overlay}: ${objects.length} objects`);
  passed++;

  const outcomes = checkOverlay(overlay, objects);
  // Subjects with figures (the budget's) are padded to one width, so the figures line up.
  const width = Math.max(0, ...outcomes.filter((o) => o.figures).map((o) => o.subject.length));
  for (const outcome of outcomes) {
    const check = outcome.check.padEnd(13);
    if (outcome.violations.length === 0) {
      const figures = outcome.figures ? `${outcome.subject.padEnd(width)}  ${outcome.figures}` : '';
      console.log(`ok    ${check} ${overlay} ${figures || outcome.subject}`);
      passed++;
      continue;
    }
    failed++;
    for (const violation of outcome.violations) {
      const where = violation.path ? ` ${violation.path}:` : '';
      console.log(`FAIL  ${check} ${overlay} ${outcome.subject}${where} ${violation.message}`);
    }
  }
}

console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
