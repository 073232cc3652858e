// `pnpm start` (and scripts/dev): every service as a local process on its own port, with embedded
// defaults and no Docker. On a terminal each log line is pretty-printed behind its service's
// name; anywhere else the services' JSON lines pass through unchanged, for machines to read.
// Each port can be moved with the service's variable (GEO_PORT for geo). A service that keeps
// its data in PostgreSQL (transactions) gets DATABASE_URL: the variable's own value when it is
// set, else an embedded PostgreSQL (PGlite, scripts/embedded-postgres.ts) with its data in
// .data/pglite/; its migrations run to completion before it starts, and once it is ready the
// shop's accounts are created through its API (services/transactions/seed/). A service that keeps its
// data in Redis (basket) gets REDIS_URL's server when that is set, else its memory store
// (BASKET_STORE=memory): its state then lives in its one process and ends with it. A service
// that keeps its data on a disk (uploads) gets its directory: <NAME>_DIR's own value when it is
// set, else .data/<name>/, which outlives `pnpm start`. A service that reads its content from
// S3 (static-site) gets an embedded S3 server (s3rver, scripts/embedded-s3.ts) on 8090
// (STATIC_SITE_S3_PORT) with its data in .data/s3/, seeded once with the site before it starts
// (the seed is idempotent), and syncs from it at start-up into .data/<name>/1/, as a pod does
// into its emptyDir. Last comes the gateway (packages/gateway) on 8080 (GATEWAY_PORT): one origin
// for the browser, `/api/<service>/…` to each service and the rest to static-site. Ctrl-C stops
// every service, then the embedded stores, and exits 0.
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { styleText } from 'node:util';
import { prettyFactory } from 'pino-pretty';
import {
  defaultDataDir,
  type EmbeddedPostgres,
  startEmbeddedPostgres,
} from './embedded-postgres.ts';
import { defaultS3DataDir, type EmbeddedS3, startEmbeddedS3 } from './embedded-s3.ts';
import {
  type LocalProcess,
  runOnce,
  type Stream,
  startProcess,
  stopProcess,
} from './local-processes.ts';
import {
  diskEnv,
  gateway,
  replicaDirEnv,
  type ServiceSpec,
  s3Env,
  services,
  staticSiteBucket,
  variableOf,
} from './services.ts';

let stopSignal: NodeJS.Signals | undefined;
const stopRequested = Promise.withResolvers<undefined>();
// One Ctrl-C arrives twice: from the terminal, and forwarded by pnpm. Either starts the stop;
// a service that hangs in it is killed after stopProcess's grace period.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stopSignal ??= signal;
    stopRequested.resolve(undefined);
  });
}

const host = '127.0.0.1';
const say = (line: string) => console.error(`start: ${line}`);

/** The port `service` gets: its variable when set, else its default. Exits on a bad value. */
function portOf(service: Pick<ServiceSpec, 'port' | 'portVariable'>): number {
  const raw = process.env[service.portVariable]?.trim();
  if (!raw) return service.port;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65_535) {
    say(`${service.portVariable} must be a port from 0 to 65535 (0: any free one); got "${raw}"`);
    process.exit(1);
  }
  return port;
}

/** Why `port` cannot be listened on (EADDRINUSE, EACCES), or undefined when it can. */
function portProblem(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}

// Each service logs that it listens at info, and that line gives its port.
const logLevel = process.env.LOG_LEVEL?.trim() || 'info';
if (['warn', 'error', 'fatal', 'silent'].includes(logLevel)) {
  say(
    `LOG_LEVEL=${logLevel} hides the line that says where each service listens; use info or debug`,
  );
  process.exit(1);
}

if (process.env.PORT) {
  const variables = services.map((service) => service.portVariable).join(', ');
  say(`PORT=${process.env.PORT} is ignored: each service has its own variable (${variables})`);
}

const plan = services.map((service) => ({ service, port: portOf(service) }));
const gatewayPort = portOf(gateway);

/** The embedded S3 server's port, on the scheme of the services' (compose 18090, kind 30090). */
const s3Users = plan.filter(({ service }) => service.store === 's3');
const s3Port = { name: 'the embedded S3 server', port: 8090, portVariable: 'STATIC_SITE_S3_PORT' };
const s3Plan = s3Users.length > 0 ? [{ service: s3Port, port: portOf(s3Port) }] : [];

// Each port is checked before anything starts, so a busy one costs a line, not a stack trace.
const taken = new Map<number, string>();
for (const { service, port } of [...plan, { service: gateway, port: gatewayPort }, ...s3Plan]) {
  if (port === 0) continue;
  const other = taken.get(port);
  const problem = other ? 'EADDRINUSE' : await portProblem(port);
  taken.set(port, service.portVariable);
  if (!problem) continue;
  const by = other ? `${other} asks for it too` : 'another `pnpm start` or `docker-compose up`?';
  const why = problem === 'EADDRINUSE' ? `is in use (${by})` : `cannot be used (${problem})`;
  say(
    `port ${port} (${service.name}) ${why}; pick another: ${service.portVariable}=${port + 1} pnpm start`,
  );
  process.exit(1);
}

const pretty = process.stdout.isTTY === true;
const format = prettyFactory({
  translateTime: 'SYS:HH:MM:ss.l',
  ignore: 'pid,hostname,name',
  singleLine: true,
});

interface RequestLine {
  msg?: string;
  reqId?: string;
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
}

/** A request's line as "request completed: GET /crs 200 1.2 ms"; any other line as it is. */
function readable(line: string): string | RequestLine {
  let entry: RequestLine;
  try {
    entry = JSON.parse(line) as RequestLine;
  } catch {
    return line;
  }
  const { req, res, responseTime, ...rest } = entry;
  if (!req?.method || !res?.statusCode) return entry;
  const time = responseTime === undefined ? '' : ` ${responseTime.toFixed(1)} ms`;
  // The id is kept where an error line elsewhere carries it too.
  if (res.statusCode < 500) delete rest.reqId;
  return { ...rest, msg: `${rest.msg}: ${req.method} ${req.url} ${res.statusCode}${time}` };
}

const width = Math.max(...[...services, gateway].map((service) => service.name.length));
const palette = ['cyan', 'magenta', 'yellow', 'green', 'blue'] as const;

/** Writes a service's lines: pretty and prefixed on a terminal, JSON as it came elsewhere. */
function printer(name: string, index: number) {
  const color = palette[index % palette.length] ?? 'cyan';
  const prefix = `${styleText(color, name.padEnd(width))} ${styleText('dim', '│')} `;
  return (line: string, stream: Stream) => {
    if (stream === 'stdout' && !pretty) {
      process.stdout.write(`${line}\n`);
      return;
    }
    const text = stream === 'stdout' ? format(readable(line)) : line;
    const out = stream === 'stdout' ? process.stdout : process.stderr;
    for (const part of text.trimEnd().split('\n')) out.write(`${prefix}${part}\n`);
  };
}

const running: LocalProcess[] = [];
let embedded: EmbeddedPostgres | undefined;
let embeddedS3: EmbeddedS3 | undefined;

/** A service's store: PostgreSQL for a `postgres` service, Redis or its memory for `redis`. */
interface Store {
  /** What the service gets in its environment. */
  env: Record<string, string>;
  /** Where it is, for the summary: never a password. */
  where: string;
  /** What the summary calls it, when not "<name>'s store". */
  label?: string;
}

/** DATABASE_URL's server when it is set, else the embedded PostgreSQL, started here for `users`. */
async function openDatabase(users: string): Promise<Store> {
  const url = process.env.DATABASE_URL?.trim();
  if (url) return { env: { DATABASE_URL: url }, where: `${withoutPassword(url)} (DATABASE_URL)` };
  const dataDir = relative(process.cwd(), defaultDataDir) || defaultDataDir;
  say(`no DATABASE_URL: starting an embedded PostgreSQL (PGlite) on ${dataDir}`);
  embedded = await startEmbeddedPostgres({ dataDir: defaultDataDir, say });
  // It serves one connection at a time (scripts/README.md says why): one pool of one.
  const poolMax = process.env.DATABASE_POOL_MAX?.trim();
  if (poolMax && poolMax !== '1') {
    say(`DATABASE_POOL_MAX=${poolMax} is ignored: the embedded PostgreSQL serves one connection`);
  }
  return {
    env: { DATABASE_URL: embedded.url, DATABASE_POOL_MAX: '1' },
    where: `${embedded.url} (embedded PGlite on ${dataDir}: one connection, which ${users} holds)`,
  };
}

function withoutPassword(url: string, variable = 'DATABASE_URL'): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    // The service says what is wrong with it; this line must not repeat a secret.
    return `(${variable}, not a valid URL)`;
  }
}

/**
 * What a `redis` service gets: REDIS_URL's server when it is set (REDIS_PASSWORD, if any, is
 * inherited as it is), else its memory store, named by its <NAME>_STORE variable
 * (BASKET_STORE). `pnpm start` runs one process per service, and the memory store needs
 * exactly that: its baskets live in that process, so a second one would hold baskets of its
 * own (each answering 404 for the other's), and every basket is gone when it stops.
 */
function redisStore(service: ServiceSpec): Store {
  const variable = `${service.name.toUpperCase().replaceAll('-', '_')}_STORE`;
  const url = process.env.REDIS_URL?.trim();
  if (url) {
    return {
      env: { [variable]: 'redis', REDIS_URL: url },
      where: `${withoutPassword(url, 'REDIS_URL')} (REDIS_URL)`,
    };
  }
  return {
    env: { [variable]: 'memory' },
    where: `memory, in the ${service.name} process (no REDIS_URL): lost when it stops`,
  };
}

/** Where `pnpm start` keeps a `disk` service's files (.data/ is gitignored). */
const dataRoot = fileURLToPath(new URL('../.data/', import.meta.url));

/**
 * What a `disk` service gets: its <NAME>_DIR when that is set, else .data/<name>/ (created
 * here), as replica 1 of one (diskEnv). Its files stay there when `pnpm start` stops; delete
 * the directory to start empty.
 */
function diskStore(service: ServiceSpec): Store {
  const variable = variableOf(service.name, 'DIR');
  const own = process.env[variable]?.trim();
  const directory = resolve(own || join(dataRoot, service.name));
  mkdirSync(directory, { recursive: true });
  const inside = relative(process.cwd(), directory);
  const shown = inside && !inside.startsWith('..') ? inside : directory;
  return {
    env: diskEnv(service, directory, 1),
    label: `${service.name} files`,
    where: own ? `${shown} (${variable})` : `${shown} (kept when it stops; delete it to empty it)`,
  };
}

/** The seed's default source: the site that static-site's build writes. */
const builtSite = fileURLToPath(new URL('../services/static-site/dist/site/', import.meta.url));

/**
 * Starts the embedded S3 server (s3rver on .data/s3/, with the bucket) and seeds it for the
 * `s3` services, each with its seed; resolves with the store of each. Every replica syncs
 * from it into a directory of its own, .data/<name>/1/ for the one `pnpm start` runs.
 */
async function openObjectStore(users: ServiceSpec[], port: number): Promise<Map<string, Store>> {
  const dataDir = relative(process.cwd(), defaultS3DataDir) || defaultS3DataDir;
  say(`starting an embedded S3 server (s3rver) on ${dataDir}`);
  const server = await startEmbeddedS3({
    dataDir: defaultS3DataDir,
    port,
    buckets: [staticSiteBucket.bucket],
  });
  embeddedS3 = server;
  const access = { ...server, ...staticSiteBucket };
  const stores = new Map<string, Store>();
  for (const service of users) {
    const env = { LOG_LEVEL: logLevel, ...s3Env(access) };
    if (service.seed) {
      if (!existsSync(builtSite)) {
        throw new Error(
          `${service.name}'s seed uploads the built site, and ${relative(process.cwd(), builtSite)} ` +
            `is missing: run \`pnpm --filter @quadrants/${service.name} build\` first`,
        );
      }
      const echo = printer(service.name, services.indexOf(service));
      const code = await runOnce(service.seed, { env, echo });
      if (code !== 0) throw new Error(`the seed of ${service.name} failed (exit code ${code})`);
    }
    const copies = join(dataRoot, service.name);
    mkdirSync(copies, { recursive: true });
    stores.set(service.name, {
      env: { ...env, ...replicaDirEnv(copies, 1) },
      label: `${service.name} S3`,
      where:
        `s3://${access.bucket}/${access.prefix} on ${server.endpoint} (embedded s3rver on ` +
        `${dataDir}, key ${server.accessKeyId} / ${server.secretAccessKey}; its copy in ` +
        `${relative(process.cwd(), copies)}/1)`,
    });
  }
  return stores;
}

/** Stops every service; false when one of them ended with an error. */
async function stopAll(): Promise<boolean> {
  const codes = await Promise.all(running.map((p) => stopProcess(p)));
  let clean = true;
  codes.forEach((code, index) => {
    // null: ended by a signal, as one started a moment before Ctrl-C may be.
    if (code === null || code === 0) return;
    clean = false;
    say(`${running[index]?.service} exited with code ${code} while stopping`);
  });
  return clean;
}

/** Stops every service, then the embedded PostgreSQL, and exits: 1 if anything failed. */
async function finish(code: 0 | 1): Promise<never> {
  let clean = await stopAll();
  try {
    await embedded?.close();
  } catch (error) {
    say(`the embedded PostgreSQL did not close cleanly: ${(error as Error).message}`);
    clean = false;
  }
  try {
    await embeddedS3?.close();
  } catch (error) {
    say(`the embedded S3 server did not close cleanly: ${(error as Error).message}`);
    clean = false;
  }
  process.exit(clean ? code : 1);
}

let database: Store | undefined;
const postgresUsers = plan.filter(({ service }) => service.store === 'postgres');
if (postgresUsers.length > 0) {
  try {
    database = await openDatabase(postgresUsers.map(({ service }) => service.name).join(', '));
  } catch (error) {
    say((error as Error).message);
    process.exit(1);
  }
}

/** The stores each service has to itself: Redis or its memory, a directory. */
const ownStores = new Map<string, Store>();
for (const { service } of plan) {
  if (service.store === 'redis') ownStores.set(service.name, redisStore(service));
  if (service.store === 'disk') {
    try {
      ownStores.set(service.name, diskStore(service));
    } catch (error) {
      say(`${service.name}'s directory: ${(error as Error).message}`);
      await finish(1);
    }
  }
}

if (s3Plan[0]) {
  try {
    const stores = await openObjectStore(
      s3Users.map(({ service }) => service),
      s3Plan[0].port,
    );
    for (const [name, store] of stores) ownStores.set(name, store);
  } catch (error) {
    say(`the embedded S3 server: ${(error as Error).message}`);
    await finish(1);
  }
}

/** Where `service`'s store is, as variables for its environment. */
function storeEnv(service: ServiceSpec): Record<string, string> {
  if (service.store === 'postgres') return database?.env ?? {};
  return ownStores.get(service.name)?.env ?? {};
}

try {
  for (const [index, { service, port }] of plan.entries()) {
    if (stopSignal) break;
    const echo = printer(service.name, index);
    const env = { LOG_LEVEL: logLevel, ...storeEnv(service) };
    if (service.migrate) {
      const code = await runOnce(service.migrate, { env, echo });
      if (code !== 0)
        throw new Error(`the migrations of ${service.name} failed (exit code ${code})`);
    }
    if (stopSignal) break;
    const started = await startProcess(service, { port, env, echo });
    running.push(started);
    if (service.seedThroughApi) {
      const urlEnv = { LOG_LEVEL: logLevel, [variableOf(service.name, 'URL')]: started.url };
      const code = await runOnce(service.seedThroughApi, { env: urlEnv, echo });
      if (code !== 0) throw new Error(`the seed of ${service.name} failed (exit code ${code})`);
    }
  }
  // Last, in front of them all: each service at the address it listens on now.
  if (!stopSignal) {
    const site = running.find((p) => p.service === 'static-site');
    const routes = running.filter((p) => p !== site).map((p) => `${p.service}=${p.url}`);
    const echo = printer(gateway.name, plan.length);
    const env = {
      LOG_LEVEL: logLevel,
      GATEWAY_ROUTES: routes.join(','),
      GATEWAY_FALLBACK_URL: site?.url ?? '',
    };
    running.push(await startProcess(gateway, { port: gatewayPort, env, echo }));
  }
} catch (error) {
  // A stop requested during start-up ends a starting service too; that is not a failure.
  if (!stopSignal) {
    say(`${(error as Error).message}; its own lines are above`);
    await finish(1);
  }
}

if (!stopSignal) {
  const origin = running.find((p) => p.service === gateway.name)?.url;
  console.log('\nquadrants is running:');
  const movedGateway = gatewayPort === gateway.port ? '' : `   (GATEWAY_PORT=${gatewayPort})`;
  console.log(
    `  ${'one origin'.padEnd(14)} ${origin}/   (/api/<service>/… to each)${movedGateway}`,
  );
  for (const { service, port } of plan) {
    const url = running.find((p) => p.service === service.name)?.url;
    const moved = port === service.port ? '' : `   (${service.portVariable}=${port})`;
    console.log(`  ${service.name.padEnd(14)} ${url}${moved}`);
  }
  if (database) console.log(`  ${'PostgreSQL'.padEnd(14)} ${database.where}`);
  for (const [name, store] of ownStores) {
    console.log(`  ${(store.label ?? `${name}'s store`).padEnd(14)} ${store.where}`);
  }
  console.log('Ctrl-C stops every service.\n');

  // A service that dies on its own stops the rest: half a system is worse than none.
  const died = await Promise.race([
    stopRequested.promise,
    ...running.map(async (p) => ({ p, code: await p.exited })),
  ]);
  if (died && !stopSignal) {
    const how = died.code ?? died.p.child.signalCode;
    say(`${died.p.service} exited (${how}) on its own; stopping the others`);
    await finish(1);
  }
}

await finish(0);
