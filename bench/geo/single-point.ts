// geo single-point conversion: the real service against two baselines, in one run.
// Not a test: it prints figures and ratios and exits 0 whatever they are.
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { type LoadFigures, measure, positiveIntFromEnv } from '../lib/load.ts';
import { type ServerProcess, spawnServer, spawnService } from '../lib/spawn-server.ts';
import { printTable, whole } from '../lib/table.ts';

const PATH = '/convert?from=latlon&lat=52.2297&lon=21.0122';
/** From the issue: the kit's logging, metrics, validation and headers cost at most 40%. */
const AIM = 0.6;

const settings = {
  warmupSeconds: positiveIntFromEnv('BENCH_WARMUP', 2),
  durationSeconds: positiveIntFromEnv('BENCH_DURATION', 8),
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

interface Row extends LoadFigures {
  name: string;
  peakRssMiB: number | null;
}

function printRows(rows: Row[]): void {
  printTable(
    ['server', 'req/s (mean)', 'p99 (ms)', 'peak RSS (MiB)', 'failures'],
    rows.map((row) => [
      row.name,
      whole(row.requestsPerSecond),
      row.latencyP99Ms.toFixed(2),
      row.peakRssMiB === null ? 'n/a' : row.peakRssMiB.toFixed(1),
      String(row.failures),
    ]),
  );
}

const servers: ServerProcess[] = [];
try {
  servers.push(await spawnService('geo service', geoMain, { LOG_LEVEL: geoLogLevel }));
  for (const { name, entry } of baselines) servers.push(await spawnServer(name, entry));
  await checkSameAnswer(servers);

  console.log(
    `geo single-point: GET ${PATH}\n` +
      `${settings.connections} connections, ${settings.warmupSeconds} s warm-up + ` +
      `${settings.durationSeconds} s measured per server, one at a time; ` +
      `geo logs at ${geoLogLevel}; ${availableParallelism()} CPUs, node ${process.version}\n`,
  );
  const rows: Row[] = [];
  for (const server of servers) {
    const figures = await measure(server.baseUrl + PATH, settings);
    const rss = server.peakRssBytes();
    rows.push({ name: server.name, ...figures, peakRssMiB: rss === null ? null : rss / 2 ** 20 });
  }
  printRows(rows);

  const [geo, express, bare] = rows;
  if (!geo || !express || !bare) throw new Error('a server was not measured');
  const ratio = (of: Row, to: Row) => ({
    requestsPerSecond: of.requestsPerSecond / to.requestsPerSecond,
    latencyP99: of.latencyP99Ms / to.latencyP99Ms,
  });
  const ratios = { geoToExpress: ratio(geo, express), geoToBare: ratio(geo, bare) };
  const met = ratios.geoToExpress.requestsPerSecond >= AIM;

  console.log(
    `\ngeo / minimal express: req/s ${ratios.geoToExpress.requestsPerSecond.toFixed(2)}, ` +
      `p99 ${ratios.geoToExpress.latencyP99.toFixed(2)}` +
      `\ngeo / bare node:http:  req/s ${ratios.geoToBare.requestsPerSecond.toFixed(2)}, ` +
      `p99 ${ratios.geoToBare.latencyP99.toFixed(2)}` +
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
