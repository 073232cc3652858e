import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, onTestFinished, test } from 'vitest';

const lint = fileURLToPath(new URL('lint.ts', import.meta.url));
const haveShellcheck = spawnSync('shellcheck', ['--version']).error === undefined;

/**
 * A scratch git work tree holding `files` (path → content), none of them committed: the
 * linters cover new files too. Removed when the test finishes.
 */
async function aWorkTree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lint-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  spawnSync('git', ['init', '--quiet'], { cwd: dir });
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

function runLint(dir: string, linter: string) {
  return spawnSync(process.execPath, [lint, linter], { cwd: dir, encoding: 'utf8' });
}

const aWorkflow = `on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: echo "testing \${{ github.ref_name }}"
`;

describe('pnpm lint workflows', () => {
  test('passes a correct workflow and looks only in .github/workflows', async () => {
    const dir = await aWorkTree({
      '.github/workflows/ci.yml': aWorkflow,
      'docker-compose.yml': 'services: [not, a, workflow]\n',
    });
    const run = runLint(dir, 'workflows');
    expect(run.stdout).toMatch(/^actionlint: \.github\/workflows\/ci\.yml$/m);
    expect(run.stdout).toMatch(/^lint: workflows passed$/m);
    expect(run.status).toBe(0);
  });

  test('fails on a misspelt key, an unknown function, a broken expression and a missing job', async () => {
    const dir = await aWorkTree({
      '.github/workflows/broken.yml': `on: push
jobs:
  misspelt:
    runs-onn: ubuntu-latest
    steps:
      - run: echo misspelt
  unknown-function:
    runs-on: ubuntu-latest
    steps:
      - run: echo unknown function
        if: failur()
  broken-expression:
    runs-on: ubuntu-latest
    steps:
      - run: echo "\${{ github.ref == }}"
  missing-job:
    runs-on: ubuntu-latest
    needs: build
    steps:
      - run: echo missing job
`,
    });
    const run = runLint(dir, 'workflows');
    const at = '.github/workflows/broken.yml';
    expect(run.stdout).toContain(`${at}:4:5: unexpected key "runs-onn" for "job" section`);
    expect(run.stdout).toContain(`${at}:11:13: undefined function "failur"`);
    expect(run.stdout).toContain(`${at}:15:38: unexpected end of input while parsing`);
    expect(run.stdout).toContain(`${at}:16:3: job "missing-job" needs job "build" which does not`);
    expect(run.stdout).toMatch(/^lint: workflows failed$/m);
    expect(run.status).toBe(1);
  });
});

describe.skipIf(!haveShellcheck)('pnpm lint shell', () => {
  test('lints each file that names bash or sh, in a shebang or a directive, and nothing else', async () => {
    const dir = await aWorkTree({
      'bin/tool': '#!/usr/bin/env bash\nset -euo pipefail\necho "tool"\n',
      'bin/posix': '#!/bin/sh -e\necho "posix"\n',
      'bin/sourced': '# shellcheck shell=bash\nexport GREETING=hello\n',
      'bin/report.py': '#!/usr/bin/env python3\nprint("not a shell script")\n',
      'notes.md': '# shell scripts\n',
      '.gitignore': 'ignored/\n',
      'ignored/tool': '#!/usr/bin/env bash\necho $unquoted\n',
    });
    const run = runLint(dir, 'shell');
    expect(run.stdout).toMatch(/^shellcheck: bin\/posix bin\/sourced bin\/tool$/m);
    expect(run.stdout).toMatch(/^lint: shell passed$/m);
    expect(run.status).toBe(0);
  });

  test('fails on an unquoted variable, naming the file, line and check', async () => {
    const dir = await aWorkTree({
      'scripts/clean': '#!/usr/bin/env bash\nset -euo pipefail\nrm -rf $1/cache\n',
    });
    const run = runLint(dir, 'shell');
    expect(run.stdout).toMatch(/^scripts\/clean:3:8: note: Double quote .*\[SC2086\]$/m);
    expect(run.stdout).toMatch(/^lint: shell failed$/m);
    expect(run.status).toBe(1);
  });

  test("lints the workflows' run steps as bash, with their expressions blanked out", async () => {
    const dir = await aWorkTree({
      '.github/workflows/ci.yml': `on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: echo "\${{ github.ref_name }}" "\${{ github.event.head_commit.message }}"
      - run: rm -rf $RUNNER_TEMP/cache
      - run: Write-Output $env:TEMP
        shell: pwsh
`,
    });
    const run = runLint(dir, 'shell');
    expect(run.stdout).toMatch(/^shellcheck: 2 run steps of the workflows$/m);
    expect(run.stdout).not.toContain('steps[0]');
    expect(run.stdout).toMatch(
      /^\.github\/workflows\/ci\.yml jobs\.test\.steps\[1\]\.run:1:8: note: Double quote .*\[SC2086\]$/m,
    );
    expect(run.stdout).toMatch(/^lint: shell failed$/m);
    expect(run.status).toBe(1);
  });

  test('lints a .sh file that names no shell, and fails it until it names one', async () => {
    const dir = await aWorkTree({ 'lib/env.sh': 'export GREETING=hello\n' });
    const run = runLint(dir, 'shell');
    expect(run.stdout).toMatch(/^shellcheck: lib\/env\.sh$/m);
    expect(run.stdout).toMatch(/^lib\/env\.sh:1:1: error: .*\[SC2148\]$/m);
    expect(run.status).toBe(1);
  });
});
