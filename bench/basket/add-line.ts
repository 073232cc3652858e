// basket: add-line operations per second and p99 through the real service (its own src/main.ts on
// BASKET_STORE=redis) beside a bare node:http handler sending the very same single Redis command
// (servers/bare-http.ts), in one run, against one Redis, with the same load. Not a test: it prints
// figures and ratios and exits 0 whatever they are; a failed set-up, a failed request, or baskets
// that do not hold exactly the lines that were answered 200 exit 1.
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import type { RecordableHistogram } from 'node:perf_hooks';
import { startRedis } from '@quadrants/basket/testing/redis';
import { Redis } from 'ioredis';
import { latencyHistogram, positiveIntFromEnv } from '../lib/load.ts';
import { type ServerProcess, spawnServer, spawnService } from '../lib/spawn-server.ts';
import { printTable, whole, wholeOrNa } from '../lib/table.ts';
import {
  type AddLineWindow,
  addLineLoad,
  createBaskets,
  deleteBaskets,
  readBaskets,
} from './add-line-load.ts';
import { difference, redisStats } from './redis-stats.ts';

/** From the issue: the service keeps at least half of what a bare handler does with the command. */
const AIM = 0.5;

const settings = {
  seconds: positiveIntFromEnv('BENCH_SECONDS', 5),
  warmupSeconds: positiveIntFromEnv('BENCH_WARMUP', 3),
  rounds: positiveIntFromEnv('BENCH_ROUNDS', 3),
  connections: positiveIntFromEnv('BENCH_CONNECTIONS', 32),
  lines: positiveIntFromEnv('BENCH_BASKET_LINES', 10),
};
const logLevel = process.env.LOG_LEVEL || 'info';
/** Node flags for the service only, such as `--cpu-prof --cpu-prof-dir=/tmp/basket-profile`. */
const serviceNodeFlags = (process.env.BENCH_SERVICE_NODE_FLAGS ?? '').split(' ').filter(Boolean);

/** The service's defaults, given to both sides explicitly so that both run with the same. */
const basketEnv = {
  BASKET_STORE: 'redis',
  REDIS_KEY_PREFIX: 'basket:',
  BASKET_IDLE_SECONDS: '604800',
  BASKET_MAX_LINES: '50',
  BASKET_MAX_QUANTITY: '99',
  REDIS_COMMAND_TIMEOUT_MS: '1000',
  REDIS_CONNECT_TIMEOUT_MS: '2000',
};
const maxLines = Number(basketEnv.BASKET_MAX_LINES);
if (settings.lines > maxLines) {
  throw new Error(`BENCH_BASKET_LINES: at most BASKET_MAX_LINES (${maxLines})`);
}
/** What every add carries besides its SKU; quantity 1, so a basket's items count its adds. */
const LINE = { unitPrice: 1_250, currency: 'EUR' };

const basketMain = new URL('../../services/basket/src/main.ts', import.meta.url);
const bareEntry = new URL('./servers/bare-http.ts', import.meta.url);

const ownCpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

interface Side {
  name: string;
  server: ServerProcess;
  prepare: ReturnType<typeof addLineLoad>;
  /** Adds per second of the last window, which sizes the next one. */
  rate: number;
  /** The measured windows. */
  added: number;
  seconds: number;
  failures: number;
  statuses: Record<number, number>;
  perRound: number[];
  latencyUs: RecordableHistogram;
  cpu: { loadGenerator: number; server: number | null; redis: number };
  redisCalls: Record<string, number>;
  redisReads: number;
  /** Every window, warm-ups included, against what its baskets held afterwards. */
  ledger: { added: number; items: number; versions: number; mostLines: number };
}

/** A window's baskets are read back through the service, added up, then deleted. */
async function settle(
  side: Side,
  baskets: readonly string[],
  window: AddLineWindow,
  serviceUrl: string,
): Promise<void> {
  const read = await readBaskets(serviceUrl, baskets);
  side.ledger.added += window.added;
  side.ledger.items += read.items;
  side.ledger.versions += read.versions;
  side.ledger.mostLines = Math.max(side.ledger.mostLines, read.mostLines);
  await deleteBaskets(serviceUrl, baskets);
}

/** Both answer one add with the same basket state: the same version, the same line. */
async function checkSameEffect(service: ServerProcess, bare: ServerProcess): Promise<void> {
  const effects: string[] = [];
  for (const server of [service, bare]) {
    const ids = await createBaskets(service.baseUrl, 1);
    const response = await fetch(`${server.baseUrl}/baskets/${ids[0]}/lines`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'bench-sku-0', quantity: 3, ...LINE }),
    });
    const body = await response.text();
    if (response.status !== 200) {
      throw new Error(`${server.name}: answered ${response.status}: ${body}`);
    }
    // The service presents the basket (totals, ISO times), the baseline answers it as stored:
    // compare what both must agree on.
    const { version, lines } = JSON.parse(body) as {
      version: number;
      lines: { sku: string; quantity: number; unitPrice: number }[];
    };
    effects.push(
      JSON.stringify({
        version,
        lines: lines.map(({ sku, quantity, unitPrice }) => ({ sku, quantity, unitPrice })),
      }),
    );
    await deleteBaskets(service.baseUrl, ids);
  }
  if (effects[0] !== effects[1]) {
    throw new Error(`the service's add gave ${effects[0]}, the baseline's ${effects[1]}`);
  }
}

/** One measured window of `side`, with the CPU each process spent and the commands Redis ran. */
async function measure(side: Side, redis: Redis, serviceUrl: string): Promise<void> {
  const prepared = await side.prepare(Math.round(side.rate * settings.seconds));
  const before = {
    loadGenerator: ownCpuSeconds(),
    server: side.server.cpuSeconds(),
    redis: await redisStats(redis),
  };
  const window = await prepared.run(side.latencyUs);
  const after = {
    loadGenerator: ownCpuSeconds(),
    server: side.server.cpuSeconds(),
    redis: await redisStats(redis),
  };
  const ran = difference(before.redis, after.redis);
  side.rate = window.added / window.seconds;
  side.added += window.added;
  side.seconds += window.seconds;
  side.failures += window.failures;
  for (const [status, count] of Object.entries(window.statuses)) {
    side.statuses[Number(status)] = (side.statuses[Number(status)] ?? 0) + count;
  }
  side.perRound.push(window.added / window.seconds);
  side.cpu.loadGenerator += after.loadGenerator - before.loadGenerator;
  side.cpu.server =
    side.cpu.server === null || before.server === null || after.server === null
      ? null
      : side.cpu.server + (after.server - before.server);
  side.cpu.redis += ran.cpuSeconds;
  side.redisReads += ran.reads;
  for (const [name, count] of Object.entries(ran.calls)) {
    side.redisCalls[name] = (side.redisCalls[name] ?? 0) + count;
  }
  await settle(side, prepared.baskets, window, serviceUrl);
}

const perAdd = (seconds: number | null, side: Side) =>
  seconds === null ? null : (seconds / side.added) * 1e6;

function summary(side: Side, rssAtStart: number | null) {
  const scripts = (side.redisCalls.evalsha ?? 0) + (side.redisCalls.eval ?? 0);
  const rss = side.server.peakRssBytes();
  const rssNow = side.server.rssBytes();
  return {
    name: side.name,
    adds: side.added,
    addsPerSecond: side.added / side.seconds,
    roundAddsPerSecond: side.perRound,
    latencyMeanMs: side.latencyUs.mean / 1000,
    latencyP99Ms: side.latencyUs.percentile(99) / 1000,
    cpuMicrosPerAdd: {
      loadGenerator: perAdd(side.cpu.loadGenerator, side),
      server: perAdd(side.cpu.server, side),
      redis: perAdd(side.cpu.redis, side),
    },
    /** EVALSHA (and EVAL, had Redis lost the script) sent per add: 1 on both sides. */
    scriptCallsPerAdd: scripts / side.added,
    redisCalls: side.redisCalls,
    /** Adds whose commands reached Redis in one read of its socket, on average. */
    addsPerRedisRead: side.redisReads > 0 ? side.added / side.redisReads : null,
    rssAtStartMiB: rssAtStart === null ? null : rssAtStart / 2 ** 20,
    peakRssMiB: rss === null ? null : rss / 2 ** 20,
    rssAfterMiB: rssNow === null ? null : rssNow / 2 ** 20,
    failures: side.failures,
    statuses: side.statuses,
  };
}

const oneDecimal = (value: number | null) => (value === null ? 'n/a' : value.toFixed(1));

const redisServer = await startRedis();
const redis = new Redis(redisServer.url, {
  connectionName: 'basket-bench',
  maxRetriesPerRequest: 1,
});
const servers: ServerProcess[] = [];
let failed = false;
try {
  const env = { ...basketEnv, REDIS_URL: redisServer.url };
  const service = await spawnService(
    'basket service',
    basketMain,
    { ...env, LOG_LEVEL: logLevel },
    serviceNodeFlags,
  );
  servers.push(service);
  const bare = await spawnServer('bare node:http', bareEntry, env);
  servers.push(bare);
  const rssAtStart = new Map(servers.map((server) => [server.name, server.rssBytes()]));
  await checkSameEffect(service, bare);

  const serverInfo = (await redis.info('server')).match(/^(valkey|redis)_version:(\S+)/m);
  console.log(
    'basket: POST /baskets/{id}/lines through the service beside a bare node:http handler ' +
      'sending the same EVALSHA\n' +
      `${serverInfo?.[1] ?? 'redis'} ${serverInfo?.[2] ?? '?'} at ${new URL(redisServer.url).host}; ` +
      `${settings.connections} connections; each add quantity 1 of one of ${settings.lines} SKUs, ` +
      `on fresh baskets, one in flight per basket\n` +
      `${settings.warmupSeconds} s warm-up per side, then ${settings.rounds} rounds of ` +
      `${settings.seconds} s per side, taking turns; the service logs at ${logLevel}\n` +
      `${availableParallelism()} CPUs, load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}, node ${process.version}`,
  );

  const sides: Side[] = [service, bare].map((server) => ({
    name: server.name,
    server,
    prepare: addLineLoad({
      targetUrl: server.baseUrl,
      serviceUrl: service.baseUrl,
      connections: settings.connections,
      lines: settings.lines,
      maxQuantity: Number(basketEnv.BASKET_MAX_QUANTITY),
      ...LINE,
    }),
    rate: 0,
    added: 0,
    seconds: 0,
    failures: 0,
    statuses: {},
    perRound: [],
    latencyUs: latencyHistogram(),
    cpu: { loadGenerator: 0, server: 0, redis: 0 },
    redisCalls: {},
    redisReads: 0,
    ledger: { added: 0, items: 0, versions: 0, mostLines: 0 },
  }));

  // Warm-up: a short burst to learn the rate, then about BENCH_WARMUP seconds of it.
  for (const side of sides) {
    for (const requests of [settings.connections * 20, 0]) {
      const prepared = await side.prepare(
        requests || Math.round(side.rate * settings.warmupSeconds),
      );
      const window = await prepared.run();
      side.rate = window.added / window.seconds;
      if (window.failures > 0) {
        throw new Error(
          `${side.name}: ${window.failures} adds failed in the warm-up (${JSON.stringify(window.statuses)})`,
        );
      }
      await settle(side, prepared.baskets, window, service.baseUrl);
    }
  }
  // The order turns by one each round, so that neither side always runs just after the other.
  for (let round = 0; round < settings.rounds; round++) {
    for (let turn = 0; turn < sides.length; turn++) {
      await measure(sides[(turn + round) % sides.length] as Side, redis, service.baseUrl);
    }
  }

  const summaries = sides.map((side) => summary(side, rssAtStart.get(side.name) ?? null));
  console.log('');
  printTable(
    [
      'side',
      'adds/s',
      'mean (ms)',
      'p99 (ms)',
      'CPU µs/add: load',
      'server',
      'Redis',
      'EVALSHA/add',
      'adds/Redis read',
      'peak RSS (MiB)',
      'failures',
    ],
    summaries.map((side) => [
      side.name,
      whole(side.addsPerSecond),
      side.latencyMeanMs.toFixed(2),
      side.latencyP99Ms.toFixed(2),
      wholeOrNa(side.cpuMicrosPerAdd.loadGenerator),
      wholeOrNa(side.cpuMicrosPerAdd.server),
      wholeOrNa(side.cpuMicrosPerAdd.redis),
      side.scriptCallsPerAdd.toFixed(2),
      side.addsPerRedisRead === null ? 'n/a' : side.addsPerRedisRead.toFixed(2),
      oneDecimal(side.peakRssMiB),
      String(side.failures),
    ]),
  );
  const [ofService, ofBare] = summaries;
  if (!ofService || !ofBare) throw new Error('a side was not measured');
  const ratio = {
    addsPerSecond: ofService.addsPerSecond / ofBare.addsPerSecond,
    addsPerSecondByRound: ofService.roundAddsPerSecond.map(
      (value, round) => value / (ofBare.roundAddsPerSecond[round] ?? Number.NaN),
    ),
    latencyP99: ofService.latencyP99Ms / ofBare.latencyP99Ms,
    serverCpuPerAdd:
      ofService.cpuMicrosPerAdd.server === null || ofBare.cpuMicrosPerAdd.server === null
        ? null
        : ofService.cpuMicrosPerAdd.server / ofBare.cpuMicrosPerAdd.server,
  };
  const met = ratio.addsPerSecond >= AIM;
  console.log(
    `\nservice / bare node:http: adds/s ${ratio.addsPerSecond.toFixed(2)} (rounds: ` +
      `${ratio.addsPerSecondByRound.map((x) => x.toFixed(2)).join(' ')}), p99 ` +
      `${ratio.latencyP99.toFixed(2)}, server CPU per add ${oneDecimal(ratio.serverCpuPerAdd)}` +
      `\naim: the service keeps ≥ ${AIM} of the bare handler's adds/s: ${met ? 'met' : 'NOT met'}` +
      '\nRedis commands per add in the measured windows (Redis counts the GET and SET the ' +
      'script calls as commands too):\n' +
      summaries
        .map(
          (side) =>
            `  ${side.name}: ${Object.entries(side.redisCalls)
              .map(([name, count]) => `${name} ${(count / side.adds).toFixed(2)}`)
              .join(', ')}`,
        )
        .join('\n') +
      `\nRSS (MiB) before any load, at its peak, at the end: ${summaries
        .map(
          (side) =>
            `${side.name} ${[side.rssAtStartMiB, side.peakRssMiB, side.rssAfterMiB].map(oneDecimal).join(' / ')}`,
        )
        .join('; ')}`,
  );
  if (summaries.some((side) => side.failures > 0)) {
    failed = true;
    console.log(
      `statuses other than 200: ${summaries.map((side) => `${side.name} ${JSON.stringify(side.statuses)}`).join(', ')}`,
    );
  }

  const checks = sides.flatMap((side) => [
    {
      what: `${side.name}: items in its baskets = adds answered 200`,
      expected: side.ledger.added,
      found: side.ledger.items,
    },
    {
      what: `${side.name}: versions its baskets moved on = adds answered 200`,
      expected: side.ledger.added,
      found: side.ledger.versions,
    },
    {
      what: `${side.name}: most lines in one basket (BENCH_BASKET_LINES)`,
      expected: settings.lines,
      found: side.ledger.mostLines,
    },
  ]);
  console.log('\nthe baskets afterwards, read through the service (warm-ups included)');
  printTable(
    ['invariant', 'expected', 'found', ''],
    checks.map((c) => [
      c.what,
      whole(c.expected),
      whole(c.found),
      c.expected === c.found ? 'ok' : 'FAILED',
    ]),
  );
  if (checks.some((c) => c.expected !== c.found)) failed = true;

  const results = new URL('../results/', import.meta.url);
  await mkdir(results, { recursive: true });
  const file = new URL('basket.json', results);
  await writeFile(
    file,
    `${JSON.stringify(
      {
        bench: 'basket',
        at: new Date().toISOString(),
        node: process.version,
        cpus: availableParallelism(),
        loadAverage: loadavg(),
        redis: { server: serverInfo?.[1] ?? null, version: serverInfo?.[2] ?? null },
        settings: { ...settings, logLevel, serviceNodeFlags, basket: basketEnv, line: LINE },
        sides: summaries,
        ratio,
        checks,
        aim: { serviceToBareAddsPerSecondAtLeast: AIM, met },
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nfigures written to ${file.pathname}`);
  if (failed) console.log('FAILED: some adds failed or the baskets do not hold what was added');
} finally {
  for (const server of servers) await server.stop();
  redis.disconnect();
  await redisServer.stop();
}
if (failed) process.exitCode = 1;
