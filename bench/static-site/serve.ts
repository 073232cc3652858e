// static-site: requests/s and p99 for a small HTML page, a 100 KiB asset and a 304 revalidation
// (If-None-Match), through the service as it runs in production (its own main.ts on a release its
// own sync wrote from its own seed), beside Debian's nginx serving the very same directory, in the
// same run, with the same load (wrk), the two taking turns. Not a test: it prints
// figures and ratios and exits 0 whatever they are; a failed set-up, a failed request or an answer
// that differs from the file on disk exits 1.

import { execFile, spawnSync } from 'node:child_process';
import { constants } from 'node:fs';
import { access, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { median, positiveIntFromEnv } from '../lib/load.ts';
import { spawnService } from '../lib/spawn-server.ts';
import { mib, printTable, whole } from '../lib/table.ts';
import { WRK, wrkWindow } from '../lib/wrk.ts';
import { ASSET_BYTES, prepareContent, serviceEntries } from './content.ts';
import { NGINX, startNginx } from './nginx.ts';

const run = promisify(execFile);

/** From the issue: the service keeps at least half of nginx's requests per second. */
const AIM = 0.5;

const build = process.env.BENCH_SERVICE_BUILD?.trim() || 'src';
if (build !== 'src' && build !== 'dist') {
  throw new Error(`BENCH_SERVICE_BUILD: expected src or dist, got ${JSON.stringify(build)}`);
}
const settings = {
  seconds: positiveIntFromEnv('BENCH_SECONDS', 4),
  rounds: positiveIntFromEnv('BENCH_ROUNDS', 3),
  warmup: positiveIntFromEnv('BENCH_WARMUP', 2),
  connections: positiveIntFromEnv('BENCH_CONNECTIONS', 16),
  nginxWorkers: positiveIntFromEnv('BENCH_NGINX_WORKERS', 1),
  timeoutSeconds: positiveIntFromEnv('BENCH_TIMEOUT', 600),
  build,
};
const logLevel = process.env.LOG_LEVEL || 'info';
/** Node flags for the service only: the heap V8 gives it in its pod, as the other benches do. */
const serviceNodeFlags = (
  process.env.BENCH_SERVICE_NODE_FLAGS ?? '--max-semi-space-size=1 --max-old-space-size=256'
)
  .split(/\s+/)
  .filter(Boolean);

interface Server {
  name: string;
  baseUrl: string;
  cpuSeconds(): number | null;
  peakRssBytes(): number | null;
  stop(): Promise<void>;
}

interface Case {
  name: string;
  path: string;
  status: number;
  /** The headers each server gets (its own ETag, for the revalidation). */
  headers(server: Server): Record<string, string>;
}

interface SideFigures {
  requests: number;
  seconds: number;
  failures: number;
  cpu: number | null;
  roundRates: number[];
  /** Each window's p99, in microseconds. */
  p99Us: number[];
}

const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  if (!ok) failures.push(what);
};

/**
 * A GET as wrk sends it: no Accept-Encoding, nothing added. (fetch would not do: a request
 * with If-None-Match gets `Cache-Control: no-cache` from it, which express reads as "not fresh".)
 */
function get(server: Server, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ response: { status: number; headers: Headers }; body: Buffer }>(
    (resolve, reject) => {
      const request = httpGet(server.baseUrl + path, { headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const fields = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined)
              fields.set(name, Array.isArray(value) ? value.join(', ') : value);
          }
          resolve({
            response: { status: res.statusCode ?? 0, headers: fields },
            body: Buffer.concat(chunks),
          });
        });
      });
      request.on('error', reject);
      request.setTimeout(10_000, () =>
        request.destroy(new Error(`GET ${path}: no answer in 10 s`)),
      );
    },
  );
}

/** Each server must answer every case as the files on disk say, before anything is measured. */
async function checkAnswers(server: Server, siteDir: string, assetPath: string) {
  const index = await readFile(join(siteDir, 'index.html'));
  const asset = await readFile(join(siteDir, assetPath));
  const page = await get(server, '/');
  check(page.response.status === 200, `${server.name}: GET / answered ${page.response.status}`);
  check(page.body.equals(index), `${server.name}: GET / is not index.html`);
  check(
    page.response.headers.get('cache-control') === 'no-cache',
    `${server.name}: GET / has Cache-Control ${page.response.headers.get('cache-control')}`,
  );
  const etag = page.response.headers.get('etag');
  check(etag !== null, `${server.name}: GET / has no ETag`);
  const blob = await get(server, assetPath);
  check(
    blob.response.status === 200,
    `${server.name}: GET ${assetPath} answered ${blob.response.status}`,
  );
  check(blob.body.equals(asset), `${server.name}: GET ${assetPath} is not the asset`);
  check(
    blob.response.headers.get('cache-control')?.includes('immutable') === true,
    `${server.name}: the asset has Cache-Control ${blob.response.headers.get('cache-control')}`,
  );
  const again = await get(server, '/', { 'if-none-match': etag ?? '' });
  check(
    again.response.status === 304,
    `${server.name}: If-None-Match answered ${again.response.status}`,
  );
  check(again.body.length === 0, `${server.name}: the 304 has a body`);
  const missing = await get(server, '/no/such/page', { accept: 'text/html' });
  check(
    missing.response.status === 404,
    `${server.name}: a missing page answered ${missing.response.status}`,
  );
  return etag ?? '';
}

function timedOut(): never {
  console.error(`static-site bench: still running after ${settings.timeoutSeconds} s; giving up`);
  process.exit(1);
}
setTimeout(timedOut, settings.timeoutSeconds * 1000).unref();

try {
  await access(NGINX, constants.X_OK);
} catch {
  console.error(
    `static-site bench: no nginx at ${NGINX} (Debian: apt-get install nginx, as scripts/provision-debian does; BENCH_NGINX names another)`,
  );
  process.exit(1);
}

try {
  await run(WRK, ['-v']).catch((error: { stdout?: string }) => {
    // wrk -v prints its version and exits 1.
    if (!error.stdout?.startsWith('wrk')) throw error;
  });
} catch {
  console.error(
    `static-site bench: no ${WRK} (Debian: apt-get install wrk, as scripts/provision-debian does; BENCH_WRK names another)`,
  );
  process.exit(1);
}

const dir = await mkdtemp(join(tmpdir(), 'quadrants-bench-static-site-'));
// nginx started as root runs its workers as nobody, who must be able to read the site.
await chmod(dir, 0o755);
const servers: Server[] = [];
let failed = false;
try {
  const entries = serviceEntries(settings.build as 'src' | 'dist');
  const timeoutMs = settings.timeoutSeconds * 1000;
  const content = await prepareContent({ dir, entries, timeoutMs });
  const service = await spawnService(
    'static-site',
    entries.main,
    { ...content.env, STATIC_SYNC_ON_START: 'false', LOG_LEVEL: logLevel },
    serviceNodeFlags,
  );
  servers.push(service);
  const nginx = await startNginx({
    dir: join(dir, 'nginx'),
    root: content.siteDir,
    workers: settings.nginxWorkers,
  });
  servers.push(nginx);

  const etags = new Map<Server, string>();
  for (const server of servers) {
    etags.set(server, await checkAnswers(server, content.siteDir, content.assetPath));
  }
  if (failures.length > 0) throw new Error(`the servers disagree:\n  ${failures.join('\n  ')}`);

  const indexBytes = (await readFile(join(content.siteDir, 'index.html'))).length;
  const cases: Case[] = [
    { name: `HTML page (${whole(indexBytes)} B)`, path: '/', status: 200, headers: () => ({}) },
    {
      name: `asset (${ASSET_BYTES / 1024} KiB)`,
      path: content.assetPath,
      status: 200,
      headers: () => ({}),
    },
    {
      name: '304 (If-None-Match)',
      path: '/',
      status: 304,
      headers: (server) => ({ 'if-none-match': etags.get(server) ?? '' }),
    },
  ];

  console.log(
    `static-site bench: wrk, 1 thread, ${settings.connections} connections, ${settings.rounds} rounds of ${settings.seconds} s per side per case, ${settings.warmup} s warm-up; ` +
      `nginx ${settings.nginxWorkers} worker(s); ${availableParallelism()} CPUs, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );

  const results = [];
  for (const c of cases) {
    const figures = new Map<Server, SideFigures>();
    for (const server of servers) {
      await wrkWindow({
        url: server.baseUrl + c.path,
        connections: settings.connections,
        seconds: settings.warmup,
        headers: c.headers(server),
      });
      figures.set(server, {
        requests: 0,
        seconds: 0,
        failures: 0,
        cpu: 0,
        roundRates: [],
        p99Us: [],
      });
    }
    for (let round = 0; round < settings.rounds; round++) {
      const order = round % 2 === 0 ? servers : [...servers].reverse();
      for (const server of order) {
        const side = figures.get(server) as SideFigures;
        const before = server.cpuSeconds();
        const window = await wrkWindow({
          url: server.baseUrl + c.path,
          connections: settings.connections,
          seconds: settings.seconds,
          headers: c.headers(server),
        });
        const after = server.cpuSeconds();
        side.requests += window.requests;
        side.seconds += window.seconds;
        side.failures += window.failures;
        side.cpu =
          side.cpu === null || before === null || after === null ? null : side.cpu + after - before;
        side.roundRates.push(window.requests / window.seconds);
        side.p99Us.push(window.p99Us);
      }
    }
    const [svc, ngx] = servers.map((s) => figures.get(s) as SideFigures) as [
      SideFigures,
      SideFigures,
    ];
    const rate = (s: SideFigures) => s.requests / s.seconds;
    // wrk's histograms cannot be merged here: the median of the windows' p99s.
    const p99 = (s: SideFigures) => median(s.p99Us) / 1000;
    const cpuPerRequestUs = (s: SideFigures) =>
      s.cpu === null ? null : (s.cpu / s.requests) * 1e6;
    const ratios = svc.roundRates.map((r, i) => r / (ngx.roundRates[i] as number));
    const svcCpu = cpuPerRequestUs(svc);
    const ngxCpu = cpuPerRequestUs(ngx);
    results.push({
      case: c.name,
      path: c.path,
      status: c.status,
      sides: Object.fromEntries(
        servers.map((server) => {
          const s = figures.get(server) as SideFigures;
          return [
            server.name,
            {
              requestsPerSecond: rate(s),
              p99Ms: p99(s),
              cpuUsPerRequest: cpuPerRequestUs(s),
              requests: s.requests,
              failures: s.failures,
              roundRates: s.roundRates,
              p99Us: s.p99Us,
            },
          ];
        }),
      ),
      ratio: median(ratios),
      ratios,
      p99Ratio: p99(svc) / p99(ngx),
      cpuRatio: svcCpu === null || ngxCpu === null ? null : svcCpu / ngxCpu,
    });
    for (const [server, s] of figures) {
      if (s.failures > 0)
        failures.push(`${c.name}: ${server.name} had ${s.failures} failed requests`);
    }
  }

  console.log('');
  printTable(
    ['case', 'server', 'req/s', 'p99 ms', 'CPU µs/req', 'failures'],
    results.flatMap((r) =>
      Object.entries(r.sides).map(([name, s]) => [
        r.case,
        name,
        whole(s.requestsPerSecond),
        s.p99Ms.toFixed(2),
        s.cpuUsPerRequest === null ? 'n/a' : s.cpuUsPerRequest.toFixed(1),
        String(s.failures),
      ]),
    ),
  );
  console.log('');
  printTable(
    [
      'case',
      'req/s static-site / nginx',
      'per round',
      'p99 ratio',
      'CPU/req ratio',
      `aim ≥ ${AIM}`,
    ],
    results.map((r) => [
      r.case,
      r.ratio.toFixed(2),
      r.ratios.map((x) => x.toFixed(2)).join(' '),
      r.p99Ratio.toFixed(2),
      r.cpuRatio === null ? 'n/a' : r.cpuRatio.toFixed(2),
      r.ratio >= AIM ? 'met' : 'not met',
    ]),
  );
  console.log(
    `\nstatic-site peak RSS ${mib(service.peakRssBytes())} MiB; nginx workers' ${mib(nginx.peakRssBytes())} MiB`,
  );

  const out = new URL('../results/', import.meta.url);
  await mkdir(out, { recursive: true });
  await writeFile(
    new URL('static-site.json', out),
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        settings,
        machine: {
          cpus: availableParallelism(),
          loadAverage: loadavg(),
          node: process.version,
          nginx: nginxVersion(),
        },
        results,
        failures,
      },
      null,
      2,
    )}\n`,
  );
  if (failures.length > 0) {
    failed = true;
    console.log(`FAILED:\n  ${failures.join('\n  ')}`);
  }
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  for (const server of servers.reverse()) await server.stop();
  await rm(dir, { recursive: true, force: true });
}
if (failed) process.exitCode = 1;

/** nginx -v writes its version to stderr. */
function nginxVersion(): string {
  const { stdout, stderr } = spawnSync(NGINX, ['-v'], { encoding: 'utf8' });
  return `${stdout ?? ''}${stderr ?? ''}`.trim() || 'unknown';
}
