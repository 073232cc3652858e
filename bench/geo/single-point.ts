// geo single-point conversion: the real service against two baselines, in one run.
// Not a test: it prints figures and ratios and exits 0 whatever they are.
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import {
  latencyHistogram,
  measureWindow,
  median,
  positiveIntFromEnv,
  warmUp,
} from '../lib/load.ts';
import { type ServerProcess, spawnServer, spawnService } from '../lib/spawn-server.ts';
import { printTable, whole } from '../lib/table.ts';

const PATH = '/convert?from=latlon&lat=52.2297&lon=21.0122';
/** From the issue: the kit's logging, metrics, validation and headers cost at most 40%. */
const AIM = 0.6;

const settings = {
  warmupSeconds: positiveIntFromEnv('BENCH_WARMUP', 2),
  roundSeconds: positiveIntFromEnv('BENCH_DURATION', 2),
  rounds: positiveIntFromEnv('BENCH_ROUNDS', 5),
  connections: positiveIntFromEnv('BENCH_CONNECTIONS', 16),
};
const geoLogLevel = process.env.LOG_LEVEL || 'info';

// geo runs as its own main.ts; the baselines announce their port over IPC.
const geoMain = new URL('../../services/geo/src/main.ts', import.meta.url);
const baselines = [
  { name: 'minimal express', entry: new URL('./servers/minimal-express.ts', import.meta.url) },
  { name: 'bare node:http', entry: new URL('./servers/bare-http.ts', import.meta.url) },
] as const;

/** All three must give the same answer to the same question before any is measured. */
async function checkSameAnswer(servers: ServerProcess[]): Promise<void> {
  const bodies = await Promise.all(
    servers.map(async ({ name, baseUrl }) => {
      const response = await fetch(baseUrl + PATH);
      if (response.status !== 200) throw new Error(`${name}: answered ${response.status}`);
      return { name, body: await response.text() };
    }),
  );
  const [reference, ...others] = bodies;
  for (const other of others) {
    if (other.body !== reference?.body) {
      throw new Error(
        `${other.name} answers ${other.body}\nbut ${reference?.name} answers ${reference?.body}`,
      );
    }
  }
}

interface Row {
  name: string;
  /** Requests completed in all of this server's measured windows ÷ their seconds. */
  requestsPerSecond: number;
  /** Each round's req/s, in round order. */
  roundRequestsPerSecond: number[];
  /** Over every measured request of every round. */
  latencyP99Ms: number;
  /** The server process's CPU time (user + system) per request answered, in microseconds. */
  cpuMicrosPerRequest: number | null;
  peakRssMiB: number | null;
  failures: number;
}

function printRows(rows: Row[]): void {
  printTable(
    ['server', 'req/s', 'p99 (ms)', 'CPU µs/req', 'peak RSS (MiB)', 'failures'],
    rows.map((row) => [
      row.name,
      whole(row.requestsPerSecond),
      row.latencyP99Ms.toFixed(2),
      row.cpuMicrosPerRequest === null ? 'n/a' : row.cpuMicrosPerRequest.toFixed(1),
      row.peakRssMiB === null ? 'n/a' : row.peakRssMiB.toFixed(1),
      String(row.failures),
    ]),
  );
}

/**
 * Every server gets a warm-up, then `rounds` rounds in which each is measured in turn, the
 * order rotated by one each round. A neighbour's load that comes and goes then falls on all
 * three alike, and each round gives a ratio between figures taken seconds apart.
 */
async function measureAll(servers: ServerProcess[]): Promise<Row[]> {
  const { connections, roundSeconds, rounds } = settings;
  for (const server of servers)
    await warmUp(server.baseUrl + PATH, connections, settings.warmupSeconds);
  const totals = servers.map(() => ({
    requests: 0,
    seconds: 0,
    failures: 0,
    cpuSeconds: 0 as number | null,
    perRound: [] as number[],
    latencyUs: latencyHistogram(),
  }));
  for (let round = 0; round < rounds; round++) {
    for (let turn = 0; turn < servers.length; turn++) {
      const at = (turn + round) % servers.length;
      const server = servers[at] as ServerProcess;
      const total = totals[at] as (typeof totals)[number];
      const cpuBefore = server.cpuSeconds();
      const window = await measureWindow(
        server.baseUrl + PATH,
        connections,
        roundSeconds,
        total.latencyUs,
      );
      const cpuAfter = server.cpuSeconds();
      total.requests += window.requests;
      total.seconds += window.seconds;
      total.failures += window.failures;
      total.cpuSeconds =
        cpuBefore === null || cpuAfter === null || total.cpuSeconds === null
          ? null
          : total.cpuSeconds + (cpuAfter - cpuBefore);
      total.perRound.push(window.requests / window.seconds);
    }
  }
  return servers.map((server, at) => {
    const total = totals[at] as (typeof totals)[number];
    const rss = server.peakRssBytes();
    return {
      name: server.name,
      requestsPerSecond: total.requests / total.seconds,
      roundRequestsPerSecond: total.perRound,
      latencyP99Ms: total.latencyUs.percentile(99) / 1000,
      cpuMicrosPerRequest:
        total.cpuSeconds === null ? null : (total.cpuSeconds / total.requests) * 1e6,
      peakRssMiB: rss === null ? null : rss / 2 ** 20,
      failures: total.failures,
    };
  });
}

const servers: ServerProcess[] = [];
try {
  servers.push(await spawnService('geo service', geoMain, { LOG_LEVEL: geoLogLevel }));
  for (const { name, entry } of baselines) servers.push(await spawnServer(name, entry));
  await checkSameAnswer(servers);

  console.log(
    `geo single-point: GET ${PATH}\n` +
      `${settings.connections} connections; ${settings.warmupSeconds} s warm-up each, then ` +
      `${settings.rounds} rounds of ${settings.roundSeconds} s per server, taking turns; ` +
      `geo logs at ${geoLogLevel}; ${availableParallelism()} CPUs, node ${process.version}\n`,
  );
  const rows = await measureAll(servers);
  printRows(rows);

  const [geo, express, bare] = rows;
  if (!geo || !express || !bare) throw new Error('a server was not measured');
  /** Per round, then the median: each round's two figures were taken seconds apart. */
  const ratio = (of: Row, to: Row) => {
    const rounds = of.roundRequestsPerSecond.map(
      (value, round) => value / (to.roundRequestsPerSecond[round] ?? Number.NaN),
    );
    return {
      requestsPerSecond: median(rounds),
      requestsPerSecondByRound: rounds,
      latencyP99: of.latencyP99Ms / to.latencyP99Ms,
      cpuPerRequest:
        of.cpuMicrosPerRequest === null || to.cpuMicrosPerRequest === null
          ? null
          : of.cpuMicrosPerRequest / to.cpuMicrosPerRequest,
    };
  };
  const ratios = { geoToExpress: ratio(geo, express), geoToBare: ratio(geo, bare) };
  const met = ratios.geoToExpress.requestsPerSecond >= AIM;
  const line = (name: string, r: ReturnType<typeof ratio>) =>
    `\n${name} req/s ${r.requestsPerSecond.toFixed(2)} (median of rounds: ` +
    `${r.requestsPerSecondByRound.map((x) => x.toFixed(2)).join(' ')}), ` +
    `p99 ${r.latencyP99.toFixed(2)}, CPU per request ${r.cpuPerRequest?.toFixed(2) ?? 'n/a'}`;

  console.log(
    line('geo / minimal express:', ratios.geoToExpress) +
      line('geo / bare node:http: ', ratios.geoToBare) +
      `\naim: the service keeps ≥ ${AIM} of the minimal express app's req/s ` +
      `(the kit's logging, metrics, validation and headers cost ≤ ${Math.round((1 - AIM) * 100)}%): ` +
      (met ? 'met' : 'NOT met'),
  );
  if (rows.some((row) => row.failures > 0)) {
    console.log('warning: some requests failed; the figures above are not comparable');
  }

  const results = new URL('../results/', import.meta.url);
  await mkdir(results, { recursive: true });
  const file = new URL('geo-single-point.json', results);
  const record = {
    bench: 'geo-single-point',
    at: new Date().toISOString(),
    node: process.version,
    cpus: availableParallelism(),
    path: PATH,
    settings: { ...settings, geoLogLevel },
    servers: rows,
    ratios,
    aim: { geoToExpressRequestsPerSecondAtLeast: AIM, met },
  };
  await writeFile(file, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`\nfigures written to ${file.pathname}`);
} finally {
  await Promise.all(servers.map((server) => server.stop()));
}
