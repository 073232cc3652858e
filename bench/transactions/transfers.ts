// transactions: transfers per second and p99 through the HTTP API of the real service, beside
// pgbench running the same transfer SQL on the same database, in one run. Not a test: it prints
// figures and ratios and exits 0 whatever they are; a failed set-up, a failed request or a
// broken invariant of the ledger afterwards exits 1.
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import type { RecordableHistogram } from 'node:perf_hooks';
import { withDatabase } from '@quadrants/transactions/testing/postgres';
import { latencyHistogram, positiveIntFromEnv } from '../lib/load.ts';
import { type ServerProcess, spawnService } from '../lib/spawn-server.ts';
import { printTable, whole, wholeOrNa } from '../lib/table.ts';
import { transferLoad } from './http-load.ts';
import {
  type Check,
  CURRENCY,
  checkInvariants,
  createLedgerDatabase,
  DATABASE_NAME,
  type Seed,
  type StoredResponse,
  sampleStoredResponse,
  seedAccounts,
  withClient,
} from './ledger.ts';
import { pgbenchRunner } from './pgbench.ts';
import { pgbenchScript, TRANSACTION_ROUND_TRIPS } from './pgbench-script.ts';
import { type BenchPostgres, startBenchPostgres } from './postgres.ts';

/** From the issue: the API keeps at least half of what PostgreSQL does with the same SQL. */
const AIM = 0.5;
/** Each transfer moves 1..MAX_AMOUNT cents; no account can run dry in a run. */
const MAX_AMOUNT = 1_000;
const KEY_PREFIX = 'bench-';
const HTTP_KEY_TTL_HOURS = 24; // the service's default (IDEMPOTENCY_KEY_TTL_HOURS)

const settings = {
  seconds: positiveIntFromEnv('BENCH_SECONDS', 10),
  warmupSeconds: positiveIntFromEnv('BENCH_WARMUP', 3),
  rounds: positiveIntFromEnv('BENCH_ROUNDS', 2),
  connections: positiveIntFromEnv('BENCH_CONNECTIONS', 16),
  accounts: positiveIntFromEnv('BENCH_ACCOUNTS', 1_000),
};
const seed: Seed = { accounts: settings.accounts, openingBalance: 100_000_000_000 };

/**
 * With synchronous_commit on (PostgreSQL's default, what production runs), every COMMIT waits
 * for its WAL to reach the disk, and both sides may spend most of their time waiting for the
 * same fsync; off, a COMMIT returns before that, and the figures are the CPU's. Each side gets
 * the same setting in each pass (ALTER DATABASE, so every new connection of both takes it).
 */
type Durability = 'on' | 'off';
function durabilities(): Durability[] {
  const raw = process.env.BENCH_SYNCHRONOUS_COMMIT?.trim() || 'both';
  if (raw === 'both') return ['on', 'off'];
  if (raw === 'on' || raw === 'off') return [raw];
  throw new Error(
    `BENCH_SYNCHRONOUS_COMMIT: expected on, off or both (got ${JSON.stringify(raw)})`,
  );
}

const transactionsMain = new URL('../../services/transactions/src/main.ts', import.meta.url);

/** CPU seconds of this process's reaped children (pgbench, once it has exited). */
function reapedChildrenCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[13]) + Number(fields[14])) / 100;
}
const ownCpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

interface CpuSeconds {
  loadGenerator: number;
  service: number | null;
  postgres: number | null;
}

interface Side {
  name: string;
  transfers: number;
  seconds: number;
  failures: number;
  perRound: number[];
  latencyUs: RecordableHistogram;
  cpu: CpuSeconds;
}

const newSide = (name: string): Side => ({
  name,
  transfers: 0,
  seconds: 0,
  failures: 0,
  perRound: [],
  latencyUs: latencyHistogram(),
  cpu: { loadGenerator: 0, service: 0, postgres: 0 },
});

const addNullable = (a: number | null, b: number | null) =>
  a === null || b === null ? null : a + b;

/** Runs `window` and adds its figures and the CPU each process spent meanwhile to `side`. */
async function measure(
  side: Side,
  postgres: BenchPostgres,
  service: ServerProcess | undefined,
  loadGeneratorCpu: () => number,
  window: () => Promise<{ transfers: number; seconds: number; failures: number }>,
): Promise<void> {
  const before = {
    loadGenerator: loadGeneratorCpu(),
    service: service ? service.cpuSeconds() : 0,
    postgres: postgres.cpuSeconds(),
  };
  const figures = await window();
  const after = {
    loadGenerator: loadGeneratorCpu(),
    service: service ? service.cpuSeconds() : 0,
    postgres: postgres.cpuSeconds(),
  };
  side.transfers += figures.transfers;
  side.seconds += figures.seconds;
  side.failures += figures.failures;
  side.perRound.push(figures.transfers / figures.seconds);
  side.cpu.loadGenerator += after.loadGenerator - before.loadGenerator;
  for (const key of ['service', 'postgres'] as const) {
    const spent =
      before[key] === null || after[key] === null
        ? null
        : (after[key] as number) - (before[key] as number);
    side.cpu[key] = addNullable(side.cpu[key], spent);
  }
}

interface Totals {
  created: number;
  pgbenchTransactions: number;
}

/** One pass at one synchronous_commit: a fresh service, warm-ups, then the rounds. */
async function pass(
  durability: Durability,
  postgres: BenchPostgres,
  url: string,
  accountIds: readonly string[],
  totals: Totals,
): Promise<{ http: Side; prepared: Side; extended: Side }> {
  await withClient(postgres.adminUrl, (client) =>
    client.query(`ALTER DATABASE ${DATABASE_NAME} SET synchronous_commit TO ${durability}`),
  );
  // A new process for each pass, so that its pool's connections take the new setting.
  const service = await spawnService('transactions service', transactionsMain, {
    DATABASE_URL: url,
    DATABASE_POOL_MAX: String(settings.connections),
    LOG_LEVEL: 'warn',
  });
  try {
    const http = transferLoad({
      baseUrl: service.baseUrl,
      connections: settings.connections,
      accountIds,
      maxAmount: MAX_AMOUNT,
      keyPrefix: `${KEY_PREFIX}${durability}-`,
    });
    // Warm-up: a short burst to learn the rate, then about BENCH_WARMUP seconds of it.
    const probe = await http(settings.connections * 20);
    const warm = await http(Math.round((probe.created / probe.seconds) * settings.warmupSeconds));
    totals.created += probe.created + warm.created;
    if (probe.failures + warm.failures > 0) {
      throw new Error(`${probe.failures + warm.failures} transfers failed during the warm-up`);
    }
    let rate = warm.created / warm.seconds;

    const stored: StoredResponse = await sampleStoredResponse(url);
    const baseline = (protocol: 'prepared' | 'extended', keySpace: number) =>
      pgbenchRunner({
        pgbench: postgres.pgbench,
        url,
        script: pgbenchScript({ accounts: settings.accounts, maxAmount: MAX_AMOUNT }),
        clients: settings.connections,
        threads: 2,
        currency: CURRENCY,
        stored,
        ttlHours: HTTP_KEY_TTL_HOURS,
        keySpace,
        protocol,
      });
    const passNumber = durability === 'on' ? 0 : 2;
    const pgbench = {
      prepared: baseline('prepared', passNumber + 1),
      extended: baseline('extended', passNumber + 2),
    };
    for (const run of Object.values(pgbench)) {
      totals.pgbenchTransactions += (await run(settings.warmupSeconds)).transactions;
    }

    const sides = {
      http: newSide('HTTP API'),
      prepared: newSide('pgbench -M prepared'),
      extended: newSide('pgbench -M extended'),
    };
    const measureHttp = () =>
      measure(sides.http, postgres, service, ownCpuSeconds, async () => {
        const window = await http(Math.round(rate * settings.seconds), sides.http.latencyUs);
        rate = window.created / window.seconds;
        totals.created += window.created;
        return { transfers: window.created, seconds: window.seconds, failures: window.failures };
      });
    const measurePgbench = (protocol: 'prepared' | 'extended') => () =>
      measure(sides[protocol], postgres, undefined, reapedChildrenCpuSeconds, async () => {
        const window = await pgbench[protocol](settings.seconds, sides[protocol].latencyUs);
        totals.pgbenchTransactions += window.transactions;
        return {
          transfers: window.transactions,
          seconds: window.seconds,
          failures: window.failures,
        };
      });
    // The order turns by one each round, so that no side always runs on the biggest tables or
    // just after another has left the machine busy.
    const turns = [measureHttp, measurePgbench('prepared'), measurePgbench('extended')];
    for (let round = 0; round < settings.rounds; round++) {
      for (let turn = 0; turn < turns.length; turn++) {
        await turns[(turn + round) % turns.length]?.();
      }
    }
    return sides;
  } finally {
    await service.stop();
  }
}

const microsPerTransfer = (seconds: number | null, side: Side) =>
  seconds === null ? null : (seconds / side.transfers) * 1e6;

function summary(side: Side) {
  const cpu = {
    loadGenerator: microsPerTransfer(side.cpu.loadGenerator, side),
    service: side.name.startsWith('pgbench') ? 0 : microsPerTransfer(side.cpu.service, side),
    postgres: microsPerTransfer(side.cpu.postgres, side),
  };
  return {
    name: side.name,
    transfers: side.transfers,
    transfersPerSecond: side.transfers / side.seconds,
    roundTransfersPerSecond: side.perRound,
    latencyMeanMs: side.latencyUs.mean / 1000,
    latencyP99Ms: side.latencyUs.percentile(99) / 1000,
    cpuMicrosPerTransfer: cpu,
    failures: side.failures,
  };
}
type Summary = ReturnType<typeof summary>;

/** `of` against `to`: over the whole pass, each round's, and the p99s. */
function ratio(of: Summary, to: Summary) {
  const rounds = of.roundTransfersPerSecond.map(
    (value, round) => value / (to.roundTransfersPerSecond[round] ?? Number.NaN),
  );
  return {
    transfersPerSecond: of.transfersPerSecond / to.transfersPerSecond,
    transfersPerSecondByRound: rounds,
    latencyP99: of.latencyP99Ms / to.latencyP99Ms,
  };
}

function report(durability: Durability, sides: Summary[]) {
  console.log(`\nsynchronous_commit = ${durability}`);
  printTable(
    [
      'side',
      'transfers/s',
      'mean (ms)',
      'p99 (ms)',
      'CPU µs/transfer: load',
      'service',
      'PostgreSQL',
      'failures',
    ],
    sides.map((side) => [
      side.name,
      whole(side.transfersPerSecond),
      side.latencyMeanMs.toFixed(2),
      side.latencyP99Ms.toFixed(2),
      wholeOrNa(side.cpuMicrosPerTransfer.loadGenerator),
      wholeOrNa(side.cpuMicrosPerTransfer.service),
      wholeOrNa(side.cpuMicrosPerTransfer.postgres),
      String(side.failures),
    ]),
  );
  const [http, prepared, extended] = sides;
  if (!http || !prepared || !extended) throw new Error('a side was not measured');
  const ratios = { toPrepared: ratio(http, prepared), toExtended: ratio(http, extended) };
  const met = ratios.toPrepared.transfersPerSecond >= AIM;
  const line = (name: string, r: ReturnType<typeof ratio>) =>
    `\n${name} transfers/s ${r.transfersPerSecond.toFixed(2)} (rounds: ` +
    `${r.transfersPerSecondByRound.map((x) => x.toFixed(2)).join(' ')}), p99 ${r.latencyP99.toFixed(2)}`;
  console.log(
    line('HTTP API / pgbench -M prepared:', ratios.toPrepared).slice(1) +
      line('HTTP API / pgbench -M extended:', ratios.toExtended) +
      `\naim: the API keeps ≥ ${AIM} of pgbench -M prepared's transfers/s: ${met ? 'met' : 'NOT met'}`,
  );
  return { ...ratios, met };
}

const postgres = await startBenchPostgres();
let failed = false;
try {
  const url = withDatabase(postgres.adminUrl, DATABASE_NAME);
  await createLedgerDatabase(postgres.adminUrl);
  const accountIds = await seedAccounts(url, seed);
  const version = await withClient(url, async (client) => {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return rows[0]?.server_version ?? '?';
  });
  const modes = durabilities();
  console.log(
    'transactions: POST /transfers through the service beside pgbench running its SQL\n' +
      `PostgreSQL ${version}: ${postgres.description}\n` +
      `${settings.accounts} accounts of ${whole(seed.openingBalance)} cents; transfers of ` +
      `1–${MAX_AMOUNT} cents between two random accounts; ${settings.connections} connections ` +
      `(service pool ${settings.connections}) / pgbench clients (2 threads)\n` +
      `each pass: ${settings.warmupSeconds} s warm-up per side, then ${settings.rounds} rounds ` +
      `of ${settings.seconds} s per side, taking turns; synchronous_commit ${modes.join(', then ')}\n` +
      `${availableParallelism()} CPUs, load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}, node ${process.version}`,
  );

  const totals: Totals = { created: 0, pgbenchTransactions: 0 };
  const passes: Record<string, unknown>[] = [];
  for (const durability of modes) {
    const sides = await pass(durability, postgres, url, accountIds, totals);
    const summaries = [sides.http, sides.prepared, sides.extended].map(summary);
    const ratios = report(durability, summaries);
    passes.push({ synchronousCommit: durability, sides: summaries, ratios });
    if (summaries.some((side) => side.failures > 0)) failed = true;
  }

  console.log(
    `\nround trips per transfer: HTTP API 1 HTTP exchange + ${TRANSACTION_ROUND_TRIPS} to ` +
      `PostgreSQL (BEGIN, ${TRANSACTION_ROUND_TRIPS - 2} statements, COMMIT), the statements ` +
      `prepared once per connection (named, as the service sends them); pgbench ` +
      `${TRANSACTION_ROUND_TRIPS + 1} to PostgreSQL (its draw of the ids, then the same ` +
      `${TRANSACTION_ROUND_TRIPS}), each statement prepared once per connection with ` +
      '-M prepared, parsed and planned at every execution with -M extended',
  );

  const checks: Check[] = await checkInvariants(url, {
    seed,
    created: totals.created,
    pgbenchTransactions: totals.pgbenchTransactions,
    httpKeyPrefix: KEY_PREFIX,
  });
  console.log(
    `\nthe ledger afterwards (${whole(totals.created)} transfers answered 201, ` +
      `${whole(totals.pgbenchTransactions)} by pgbench, warm-ups included)`,
  );
  printTable(
    ['invariant', 'expected', 'found', ''],
    checks.map((check) => [
      check.what,
      String(check.expected),
      String(check.found),
      check.ok ? 'ok' : 'FAILED',
    ]),
  );
  if (checks.some((check) => !check.ok)) failed = true;

  const results = new URL('../results/', import.meta.url);
  await mkdir(results, { recursive: true });
  const file = new URL('transactions.json', results);
  await writeFile(
    file,
    `${JSON.stringify(
      {
        bench: 'transactions',
        at: new Date().toISOString(),
        node: process.version,
        cpus: availableParallelism(),
        loadAverage: loadavg(),
        postgres: { version, description: postgres.description },
        settings: { ...settings, seed, maxAmount: MAX_AMOUNT },
        passes,
        totals,
        checks,
        aim: { httpToPgbenchTransfersPerSecondAtLeast: AIM },
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nfigures written to ${file.pathname}`);
  if (failed) console.log('FAILED: some transfers failed or an invariant does not hold');
} finally {
  await postgres.stop();
}
if (failed) process.exitCode = 1;
