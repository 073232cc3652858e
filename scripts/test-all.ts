// `pnpm test:all`: every tier, one after another, then one line with the totals.
//   lint · typecheck · images · unit + component · k8s check · e2e on local · e2e on compose
// Lint runs its own tests (scripts/lint.test.ts), then each linter of `pnpm lint` on its own:
// Biome, actionlint on the workflows, shellcheck on the shell scripts.
// Unit + component runs in every workspace package that has a `test` script, found with
// `pnpm ls`, so a new service is tested without a change here; k8s-check's and e2e's tests
// have tiers of their own. A failing tier never stops the ones after it.
// A tier that cannot run (no shellcheck for the shell scripts, no Docker engine for compose) is
// skipped with the reason, except under CI=true, where it fails: CI must never pass by
// skipping what it was meant to prove.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const results = `${root}.test-results/`;
const inCi = process.env.CI === 'true';

interface Tally {
  tier: string;
  passed: number;
  failed: number;
  skipped: number;
  note?: string;
}

const tallies: Tally[] = [];

function run(command: string, args: string[], options: { cwd?: string; env?: object } = {}) {
  console.log(`\n▶ ${command} ${args.join(' ')}${options.cwd ? `   (in ${options.cwd})` : ''}`);
  const result = spawnSync(command, args, {
    cwd: options.cwd ? `${root}${options.cwd}` : root,
    env: { ...process.env, ...options.env },
    stdio: 'inherit',
  });
  return result.status === 0;
}

/** A tier, or part of one, that is one pass/fail check (a linter, typecheck, the k8s check). */
function check(tier: string, command: string, args: string[], note = '') {
  const ok = run(command, args);
  tallies.push({ tier, passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0, note });
}

/**
 * A script that runs many checks and ends with the line "…: N passed, M failed" (as
 * images/postgres/test-image and images/redis/test-image do): counted check by check, or 1
 * failed without that line.
 */
function checks(tier: string, command: string, args: string[], note = '') {
  console.log(`\n▶ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.stdout.write(result.stdout ?? '');
  const totals = /(\d+) passed, (\d+) failed\s*$/.exec(result.stdout ?? '');
  const counted = { passed: Number(totals?.[1] ?? 0), failed: Number(totals?.[2] ?? 0) };
  // A non-zero exit that the totals do not account for (a crash, no totals line) fails too.
  if (result.status !== 0 && counted.failed === 0) counted.failed = 1;
  tallies.push({ tier, ...counted, skipped: 0, note });
}

/** A check this machine cannot run: skipped with the reason, or failed under CI=true. */
function cannotRun(tier: string, reason: string) {
  console.log(`\n▷ ${tier}: ${reason}; ${inCi ? 'a failure under CI=true' : 'skipped'}`);
  tallies.push({ tier, passed: 0, failed: inCi ? 1 : 0, skipped: inCi ? 0 : 1, note: reason });
}

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  success: boolean;
}

/** Runs vitest in `dir` and counts its tests; a run that fails without a report counts 1 failed. */
function vitest(tier: string, dir: string, env: Record<string, string> = {}) {
  const report = `${results}${tier.replaceAll(/\W+/g, '-')}-${dir.replaceAll('/', '-')}.json`;
  rmSync(report, { force: true });
  const ok = run(
    'pnpm',
    ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${report}`],
    { cwd: dir, env },
  );
  if (!existsSync(report)) {
    tallies.push({ tier, passed: 0, failed: 1, skipped: 0, note: `${dir}: no report` });
    return;
  }
  const counts = JSON.parse(readFileSync(report, 'utf8')) as VitestReport;
  const failed = counts.numFailedTests + (ok || counts.numFailedTests > 0 ? 0 : 1);
  tallies.push({
    tier,
    passed: counts.numPassedTests,
    failed,
    skipped: counts.numPendingTests + counts.numTodoTests,
    note: dir,
  });
}

interface WorkspacePackage {
  dir: string;
  test: string | undefined;
}

/** Every workspace package but the root, as a path from the root, in a stable order. */
function workspacePackages(): WorkspacePackage[] {
  const listed = spawnSync('pnpm', ['ls', '--recursive', '--depth', '-1', '--json'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (listed.status !== 0) throw new Error(`pnpm ls failed: ${listed.stderr}`);
  return (JSON.parse(listed.stdout) as { path: string }[])
    .map(({ path }) => relative(root, path))
    .filter((dir) => dir !== '')
    .sort()
    .map((dir) => {
      const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as {
        scripts?: Record<string, string>;
      };
      return { dir, test: manifest.scripts?.test };
    });
}

/** A package's tests: counted when its `test` script is vitest, else one pass/fail check. */
function packageTests(tier: string, { dir, test }: WorkspacePackage) {
  if (test?.startsWith('vitest')) {
    vitest(tier, dir);
    return;
  }
  const ok = run('pnpm', ['run', 'test'], { cwd: dir });
  tallies.push({ tier, passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0, note: dir });
}

function dockerAvailable() {
  return spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0;
}

function onPath(command: string) {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).error === undefined;
}

mkdirSync(results, { recursive: true });

vitest('lint', 'scripts');
check('lint', 'pnpm', ['lint', 'biome'], 'biome');
check('lint', 'pnpm', ['lint', 'workflows'], 'workflows: actionlint');
if (onPath('shellcheck')) {
  check('lint', 'pnpm', ['lint', 'shell'], 'shell scripts: shellcheck');
} else {
  cannotRun('lint', 'no shellcheck on PATH for the shell scripts (apt-get install shellcheck)');
}
check('typecheck', 'pnpm', ['typecheck']);
// The offline kit's PostgreSQL, Redis, S3 server and nginx (POSTGRES_IMAGE=quadrants/postgres:15,
// REDIS_IMAGE=quadrants/redis:7, S3_IMAGE=quadrants/s3:dev and NGINX_IMAGE=quadrants/nginx:1.22,
// as .ci/run sets them) must keep the official images' contracts, since every tier after this
// one uses them in their place.
const offlineImages = [
  { image: process.env.POSTGRES_IMAGE, test: 'images/postgres/test-image' },
  { image: process.env.REDIS_IMAGE, test: 'images/redis/test-image' },
  { image: process.env.S3_IMAGE, test: 'images/s3/test-image' },
  { image: process.env.NGINX_IMAGE, test: 'images/nginx/test-image' },
];
for (const { image, test } of offlineImages) {
  if (!image?.startsWith('quadrants/')) continue;
  if (dockerAvailable()) {
    checks('images', test, [image], `${image} contract`);
  } else {
    cannotRun('images', `no Docker engine to check ${image}`);
  }
}
const ownTiers = new Set(['packages/k8s-check', 'e2e']);
for (const p of workspacePackages()) {
  if (p.test !== undefined && !ownTiers.has(p.dir)) packageTests('unit + component', p);
}
vitest('k8s check', 'packages/k8s-check');
check('k8s check', 'pnpm', ['k8s:check']);
vitest('e2e local', 'e2e', { E2E_TARGET: 'local' });
if (dockerAvailable()) {
  vitest('e2e compose', 'e2e', { E2E_TARGET: 'compose' });
} else {
  cannotRun('e2e compose', 'no Docker engine');
}

const sum = (key: 'passed' | 'failed' | 'skipped') => tallies.reduce((n, t) => n + t[key], 0);
console.log('\n tier              passed  failed  skipped');
for (const t of tallies) {
  const counts = [t.passed, t.failed, t.skipped].map((n) => String(n).padStart(7)).join(' ');
  console.log(` ${t.tier.padEnd(16)} ${counts}   ${t.note ?? ''}`);
}
console.log(`\n${sum('passed')} passed, ${sum('failed')} failed, ${sum('skipped')} skipped`);
process.exit(sum('failed') === 0 ? 0 : 1);
