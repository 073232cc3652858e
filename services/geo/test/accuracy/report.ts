/**
 * The worst error each accuracy test found, printed after each file and merged into
 * `.test-results/geo-accuracy.json` at the repository root, so that the figures quoted in docs
 * come from a run rather than from memory.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Oracle } from './oracle.ts';

export interface WorstError {
  /** What was compared, e.g. `UTM/UPS vs GeoConvert -u`. */
  check: string;
  worst: number;
  unit: string;
  tolerance: number;
  /** How many values were compared. */
  points: number;
  oracle: string;
  /** What the figure leaves out or allows, when it is not obvious. */
  note?: string;
}

const resultsFile = fileURLToPath(
  new URL('../../../../.test-results/geo-accuracy.json', import.meta.url),
);

interface ResultsFile {
  description: string;
  checks: Record<string, WorstError & { file: string; at: string }>;
}

function readResults(): ResultsFile {
  const empty: ResultsFile = {
    description: 'Worst errors of services/geo against GeographicLib and PROJ (test/accuracy).',
    checks: {},
  };
  try {
    const parsed = JSON.parse(readFileSync(resultsFile, 'utf8')) as Partial<ResultsFile>;
    return { ...empty, checks: parsed.checks ?? {} };
  } catch {
    return empty;
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Test files run in parallel workers and all merge into the one file: a lock directory
 * (mkdir is atomic) keeps one merge from overwriting another. A lock left by a killed run is
 * taken over after ten seconds.
 */
function withLock(work: () => void): void {
  const lock = `${resultsFile}.lock`;
  mkdirSync(dirname(resultsFile), { recursive: true });
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (Date.now() > deadline) break;
      Atomics.wait(pause, 0, 0, 5);
    }
  }
  try {
    work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function format(value: number): string {
  return value === 0 ? '0' : value.toExponential(1);
}

export function summaryLine(row: WorstError): string {
  return (
    `accuracy: ${row.check} worst ${format(row.worst)} ${row.unit} over ${row.points} ` +
    `values (tolerance ${format(row.tolerance)} ${row.unit})${row.note ? `; ${row.note}` : ''}`
  );
}

/**
 * One per test file: `record` before asserting, so that a failing comparison is reported too;
 * `publish` from `afterAll`.
 */
export function createAccuracyReport(file: string) {
  const rows: WorstError[] = [];
  return {
    /** `oracle` null: a round trip through the service alone. */
    record(
      check: string,
      oracle: Oracle | null,
      result: Omit<WorstError, 'check' | 'oracle'>,
    ): void {
      rows.push({ check, oracle: oracle?.version ?? 'none: a round trip', ...result });
    },
    publish(): void {
      if (rows.length === 0) return;
      console.log(rows.map(summaryLine).join('\n'));
      const at = new Date().toISOString();
      withLock(() => {
        const results = readResults();
        for (const row of rows) results.checks[row.check] = { ...row, file, at };
        const temporary = `${resultsFile}.${process.pid}.tmp`;
        writeFileSync(temporary, `${JSON.stringify(results, null, 2)}\n`);
        renameSync(temporary, resultsFile);
      });
    },
  };
}

/** The largest of `values`, 0 for none; NaN wins, so that a NaN error cannot pass as small. */
export function worstOf(values: readonly number[]): number {
  let worst = 0;
  for (const value of values) {
    if (Number.isNaN(value)) return Number.NaN;
    if (value > worst) worst = value;
  }
  return worst;
}
