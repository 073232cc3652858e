// The baseline: pgbench running the service's transfer SQL (pgbench-script.ts) on the same
// database, with as many clients as the HTTP side has connections. Each transaction's latency
// comes from pgbench's own per-transaction log (-l): pgbench 15 prints only the mean and stddev.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordableHistogram } from 'node:perf_hooks';
import { promisify } from 'node:util';
import type { StoredResponse } from './ledger.ts';

const run = promisify(execFile);

export interface PgbenchWindow {
  /** Transactions pgbench reports processed: each one a committed transfer. */
  transactions: number;
  failures: number;
  /** Transactions ÷ the time they ran in, as pgbench reports it (without connection set-up). */
  tps: number;
  /** transactions ÷ tps: the seconds pgbench measured over. */
  seconds: number;
}

export interface PgbenchSetup {
  pgbench: string;
  url: string;
  script: string;
  clients: number;
  /** pgbench's worker threads: 2, one per core of the machine the figures were taken on. */
  threads: number;
  currency: string;
  /** What the service stored under its key for one of its transfers: pgbench stores the same. */
  stored: StoredResponse;
  ttlHours: number;
  /** Told apart from every other runner's in the same database: its keys never meet theirs. */
  keySpace: number;
  /**
   * prepared: each statement parsed and planned once per connection (PREPARE, then EXECUTE);
   * extended: parsed and planned at every execution, as unnamed statements from node-postgres are.
   */
  protocol: 'prepared' | 'extended';
}

function figure(output: string, pattern: RegExp, what: string): number {
  const value = pattern.exec(output)?.[1];
  if (value === undefined) throw new Error(`pgbench printed no ${what}:\n${output}`);
  return Number(value);
}

/** Runs pgbench for `seconds`; latencies (µs) go into `latencyUs` when it is given. */
export function pgbenchRunner(setup: PgbenchSetup) {
  let runs = 0;
  return async function measure(
    seconds: number,
    latencyUs?: RecordableHistogram,
  ): Promise<PgbenchWindow> {
    runs += 1;
    const dir = await mkdtemp(join(tmpdir(), 'quadrants-bench-pgbench-'));
    try {
      const scriptFile = join(dir, 'transfer.sql');
      await writeFile(scriptFile, setup.script);
      const variables = {
        // Each run's keys start at a multiple of 10^12, which client × 10^9 + a counter stays below.
        key_base: String((setup.keySpace * 1_000 + runs) * 1e12),
        seq: '0',
        scope: setup.stored.scope,
        currency: setup.currency,
        reference: 'bench',
        request_hash: setup.stored.requestHash,
        status: '201',
        headers: setup.stored.headers,
        body: setup.stored.body,
        ttl_hours: String(setup.ttlHours),
      };
      const args = [
        '--no-vacuum', // there are no pgbench_* tables to vacuum
        `--client=${setup.clients}`,
        `--jobs=${setup.threads}`,
        `--time=${seconds}`,
        `--protocol=${setup.protocol}`,
        `--file=${scriptFile}`,
        ...Object.entries(variables).map(([name, value]) => `--define=${name}=${value}`),
        ...(latencyUs ? ['--log', `--log-prefix=${join(dir, 'log')}`] : []),
        setup.url,
      ];
      let output: string;
      try {
        ({ stdout: output } = await run(setup.pgbench, args, {
          encoding: 'utf8',
          maxBuffer: 16 * 2 ** 20,
        }));
      } catch (error) {
        const { stdout, stderr } = error as { stdout?: string; stderr?: string };
        throw new Error(`pgbench failed:\n${stdout ?? ''}\n${stderr ?? ''}`);
      }
      const transactions = figure(
        output,
        /number of transactions actually processed: (\d+)/,
        'count of transactions',
      );
      const failures = /number of failed transactions: (\d+)/.exec(output)?.[1];
      const tps = figure(output, /tps = ([\d.]+) \(without initial connection time\)/, 'tps');
      if (latencyUs) {
        // One line per transaction: client, transaction number, latency (µs), script, epoch s, µs.
        for (const file of (await readdir(dir)).filter((name) => name.startsWith('log.'))) {
          for (const line of (await readFile(join(dir, file), 'utf8')).split('\n')) {
            const latency = Number(line.split(' ')[2]);
            if (line && Number.isFinite(latency)) latencyUs.record(Math.max(1, latency));
          }
        }
      }
      return {
        transactions,
        failures: Number(failures ?? 0),
        tps,
        seconds: transactions / tps,
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}
