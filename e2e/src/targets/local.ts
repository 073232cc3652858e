import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type EmbeddedS3,
  embeddedS3Credentials,
  startEmbeddedS3,
} from '../../../scripts/embedded-s3.ts';
import {
  type LocalProcess,
  runOnce,
  startProcess,
  stopProcess,
} from '../../../scripts/local-processes.ts';
import {
  diskEnv,
  gateway,
  replicaDirEnv,
  type S3Access,
  s3Env,
  serviceNamed,
  services,
  staticSiteBucket,
} from '../../../scripts/services.ts';
import { type Balancer, startBalancer } from '../balancer.ts';
import { isReady, until } from '../wait.ts';
import {
  deletePostgres,
  type PostgresContainer,
  provideDatabase,
  removePostgres,
  startPostgres,
} from './local-postgres.ts';
import {
  deleteRedis,
  deleteRedisVolume,
  provideRedis,
  type RedisContainer,
  removeRedis,
  startRedis,
} from './local-redis.ts';
import { checkVariant, storeOf } from './stores.ts';
import type { Driver, NewReplica, Replica, StoreVariant, Target, TargetState } from './target.ts';

/** The site static-site's seed uploads by default: what its build writes. */
const builtSite = fileURLToPath(
  new URL('../../../services/static-site/dist/site/', import.meta.url),
);

/** The embedded S3 server's address for `port`, with its one key pair and static-site's bucket. */
const s3Access = (port: number): S3Access => ({
  endpoint: `http://127.0.0.1:${port}`,
  region: 'us-east-1',
  ...embeddedS3Credentials,
  ...staticSiteBucket,
});

/**
 * static-site's object store for the run: the embedded S3 server (s3rver) on a new temporary
 * directory, seeded by each `s3` service's seed, then stopped; each test worker's driver serves
 * that directory on the same port while it runs. Without the built site the seed has nothing to
 * upload: the reason is kept, and static-site's tests skip with it (fail under CI=true).
 */
async function seedObjectStore(): Promise<NonNullable<TargetState['objectStore']>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'quadrants-e2e-s3-'));
  if (!existsSync(builtSite)) {
    return {
      dataDir,
      port: 0,
      unavailable: `static-site's built site (${builtSite}) is missing: run \`pnpm --filter @quadrants/static-site build\``,
    };
  }
  const server = await startEmbeddedS3({ dataDir, buckets: [staticSiteBucket.bucket] });
  try {
    for (const service of services.filter((s) => s.store === 's3' && s.seed)) {
      const code = await runOnce(service.seed as string, {
        env: { LOG_LEVEL: 'warn', ...s3Env(s3Access(server.port)) },
      });
      if (code !== 0) throw new Error(`the seed of ${service.name} exited with ${code}`);
    }
  } finally {
    await server.close();
  }
  return { dataDir, port: server.port };
}

/**
 * Services as Node processes on free loopback ports, supervised by the driver in the test
 * worker itself: like a ReplicaSet, it keeps the wanted number running, starting a new process
 * whenever one dies. transactions' PostgreSQL and basket's Redis are containers that `up`
 * starts once for the run (src/targets/local-postgres.ts, local-redis.ts); uploads' shared
 * volume is a temporary directory that `up` makes, as a fresh claim or named volume would be
 * empty.
 */
export function localTarget(): Target {
  let postgres: PostgresContainer | undefined;
  let redis: RedisContainer | undefined;
  let directories: Record<string, string> = {};
  let objectStore: TargetState['objectStore'];
  return {
    name: 'local',
    // Nothing to build: each test file's driver starts the processes it needs.
    async up() {
      const transactionsDatabase = await provideDatabase((c) => {
        postgres = c;
      });
      if ('unavailable' in transactionsDatabase) {
        console.log(`e2e: ${transactionsDatabase.unavailable}`);
      }
      const basketRedis = await provideRedis((c) => {
        redis = c;
      });
      if ('unavailable' in basketRedis) console.log(`e2e: ${basketRedis.unavailable}`);
      // A `disk` service's shared directory; an `s3` service's replicas' own copies, each in a
      // directory of its number under it.
      directories = Object.fromEntries(
        services
          .filter((s) => s.store === 'disk' || s.store === 's3')
          .map((s) => [s.name, mkdtempSync(join(tmpdir(), `quadrants-e2e-${s.name}-`))]),
      );
      objectStore = await seedObjectStore();
      if (objectStore.unavailable) console.log(`e2e: ${objectStore.unavailable}`);
      return { transactionsDatabase, basketRedis, directories, objectStore };
    },
    async down() {
      if (postgres) await removePostgres(postgres);
      if (redis) await removeRedis(redis);
      for (const directory of [...Object.values(directories), objectStore?.dataDir ?? '']) {
        if (directory) rmSync(directory, { recursive: true, force: true });
      }
    },
    driver: localDriver,
  };
}

function localDriver(state: TargetState): Driver {
  const database = state.transactionsDatabase ?? {
    unavailable: 'the global setup provided no database for transactions',
  };
  const redis = state.basketRedis ?? {
    unavailable: 'the global setup provided no Redis for basket',
  };
  /** The variant basket's Redis runs as now: the global setup started the base one. */
  let redisVariant: StoreVariant = 'base';

  /**
   * Each service's own environment: where its store is. `replica` numbers the process among
   * its service's (1, 2, …): replicas of a `disk` service share a directory and a hostname, so
   * each takes a name of its own there.
   */
  const serviceEnv = (service: string, replica = 1): Record<string, string> => {
    const spec = serviceNamed(service);
    if (spec.store === 'disk' || spec.store === 's3') {
      const directory = state.directories?.[service];
      if (!directory) throw new Error(`the global setup made no directory for ${service}`);
      if (spec.store === 'disk') return diskEnv(spec, directory, replica);
      const store = state.objectStore;
      if (!store || store.unavailable) {
        throw new Error(store?.unavailable ?? 'the global setup seeded no object store');
      }
      return {
        ...s3Env(s3Access(store.port)),
        ...replicaDirEnv(directory, replica),
        // Short, so that a replica started while the store is down notices its return soon.
        STATIC_SYNC_MAX_BACKOFF_MS: '2000',
      };
    }
    if (service === 'transactions') {
      if ('unavailable' in database) throw new Error(database.unavailable);
      return { DATABASE_URL: database.url };
    }
    if (service === 'basket') {
      if ('unavailable' in redis) throw new Error(redis.unavailable);
      return { BASKET_STORE: 'redis', ...redis.env };
    }
    return {};
  };

  /** The container behind `service`'s store, when the suite started it itself. */
  const ownStore = (service: string): string | undefined => {
    if (service === 'transactions' && 'container' in database && database.container) return;
    if (service === 'basket' && 'container' in redis && redis.container) return;
    const from = service === 'basket' ? 'REDIS_URL' : 'DATABASE_URL';
    return `${storeOf(service)} is the server ${from} names, which the suite does not restart`;
  };

  /** basket's Redis container, or a throw saying why the suite has none to restart. */
  const redisContainer = (): RedisContainer => {
    if (!('container' in redis && redis.container)) {
      throw new Error(driver.unsupported('basket', 'store'));
    }
    return redis.container;
  };

  /**
   * static-site's object store in this worker: the global setup's directory and port. Down
   * (`storeDown`) between restartStore's stop and start, when nothing may start it.
   */
  let s3: Promise<EmbeddedS3> | undefined;
  let storeDown = false;
  const openObjectStore = (): Promise<EmbeddedS3> => {
    const store = state.objectStore;
    if (!store || store.unavailable) {
      throw new Error(store?.unavailable ?? 'the global setup seeded no object store');
    }
    s3 ??= startEmbeddedS3({ dataDir: store.dataDir, port: store.port });
    return s3;
  };
  const closeObjectStore = async () => {
    const open = s3;
    s3 = undefined;
    if (open) await (await open).close();
  };

  /** A balancer per service (balancedUrl), over the processes the driver knows ready. */
  const balancers = new Map<string, Promise<Balancer>>();
  const balancerOf = (service: string) => {
    let balancer = balancers.get(service);
    if (!balancer) {
      balancer = startBalancer();
      balancers.set(service, balancer);
    }
    return balancer;
  };

  const running = new Map<string, LocalProcess[]>();
  const wanted = new Map<string, number>();
  /** The replica numbers each service's processes hold, from their start to their exit. */
  const numbers = new Map<string, Set<number>>();
  let closing = false;

  const list = (service: string) => {
    const processes = running.get(service) ?? [];
    running.set(service, processes);
    return processes;
  };

  /**
   * The lowest replica number no process of `service` holds, now taken: a process started in
   * place of a dead one gets its number, as a restarted container keeps its hostname.
   */
  function takeNumber(service: string): number {
    const held = numbers.get(service) ?? new Set<number>();
    numbers.set(service, held);
    let n = 1;
    while (held.has(n)) n++;
    held.add(n);
    return n;
  }

  async function launch(service: string): Promise<LocalProcess> {
    const replica = takeNumber(service);
    let process: LocalProcess;
    try {
      if (serviceNamed(service).store === 's3' && !storeDown) await openObjectStore();
      process = await startProcess(serviceNamed(service), {
        port: 0,
        env: { LOG_LEVEL: 'info', ...serviceEnv(service, replica) },
      });
    } catch (error) {
      numbers.get(service)?.delete(replica);
      throw error;
    }
    list(service).push(process);
    void process.exited.then(() => {
      const processes = list(service);
      processes.splice(processes.indexOf(process), 1);
      numbers.get(service)?.delete(replica);
      reconcile(service);
    });
    return process;
  }

  /**
   * Starts processes until the wanted count runs or is starting; never stops any (scale does
   * that). Those still starting count: when every replica dies at once, the second exit must
   * not start another in place of the first's replacement.
   */
  function reconcile(service: string) {
    if (closing) return;
    const missing = (wanted.get(service) ?? 0) - (numbers.get(service)?.size ?? 0);
    for (let i = 0; i < missing; i++) void launch(service);
  }

  function ensure(service: string) {
    if (!wanted.has(service)) {
      // Throws, rather than starting processes that cannot work, when the service cannot run.
      serviceEnv(service);
      wanted.set(service, serviceNamed(service).replicas);
      reconcile(service);
    }
  }

  const toReplica = (p: LocalProcess): Replica => ({ id: String(p.child.pid), url: p.url });

  /**
   * The one origin: packages/gateway, as `pnpm start` runs it, in front of each service's
   * balancer, so that a replica killed or replaced behind it is taken out of rotation there.
   */
  let origin: Promise<LocalProcess> | undefined;
  const startOrigin = async (): Promise<LocalProcess> => {
    const urls = new Map<string, string>();
    for (const { name } of services) urls.set(name, await driver.balancedUrl(name));
    const routes = services
      .filter(({ name }) => name !== 'static-site')
      .map(({ name }) => `${name}=${urls.get(name)}`);
    return startProcess(gateway, {
      port: 0,
      env: {
        LOG_LEVEL: 'info',
        GATEWAY_ROUTES: routes.join(','),
        GATEWAY_FALLBACK_URL: urls.get('static-site') ?? '',
      },
    });
  };

  const driver: Driver = {
    async shopOrigin() {
      origin ??= startOrigin();
      return (await origin).url;
    },
    async entryUrl(service) {
      const [first] = await driver.waitForReplicas(service);
      if (!first) throw new Error(`no ${service} process is running`);
      return first.url;
    },
    async replicas(service) {
      ensure(service);
      return list(service).map(toReplica);
    },
    async killReplica(service, replica) {
      const process = list(service).find((p) => String(p.child.pid) === replica.id);
      if (!process) throw new Error(`${service} has no replica ${replica.id}`);
      process.child.kill('SIGKILL');
      await process.exited;
    },
    async waitForReplicas(service) {
      ensure(service);
      const count = wanted.get(service) ?? 0;
      const replicas = await until(`${count} ready ${service} replicas`, async () => {
        const processes = list(service);
        if (processes.length !== count) return undefined;
        const ready = await Promise.all(processes.map((p) => isReady(p.url)));
        return ready.every(Boolean) ? processes.map(toReplica) : undefined;
      });
      // As a Service's endpoints follow the ready pods: a replica killed and replaced leaves
      // the balancer's rotation, and its successor joins it.
      (await balancers.get(service))?.set(replicas.map((r) => r.url));
      return replicas;
    },
    async scale(service, replicas) {
      ensure(service);
      wanted.set(service, replicas);
      const surplus = list(service).slice(replicas);
      await Promise.all(surplus.map((p) => stopProcess(p)));
      reconcile(service);
      await driver.waitForReplicas(service);
    },
    async balancedUrl(service) {
      const balancer = await balancerOf(service);
      balancer.set((await driver.waitForReplicas(service)).map((r) => r.url));
      return balancer.url;
    },
    async rolloutRestart(service) {
      const balancer = await balancerOf(service);
      const before = await driver.waitForReplicas(service);
      balancer.add(before.map((r) => r.url));
      const count = wanted.get(service) ?? before.length;
      for (const old of [...list(service)]) {
        // One more while the new one starts (maxSurge 1), then back: the old one's exit
        // starts no replacement.
        wanted.set(service, count + 1);
        let fresh: LocalProcess;
        try {
          fresh = await launch(service);
          await until(`the new ${service} process to be ready`, async () =>
            (await isReady(fresh.url)) ? true : undefined,
          );
        } finally {
          wanted.set(service, count);
        }
        balancer.add([fresh.url]);
        await balancer.drain(old.url);
        await stopProcess(old);
      }
      await driver.waitForReplicas(service);
    },
    async addReplica(service): Promise<NewReplica> {
      ensure(service);
      wanted.set(service, (wanted.get(service) ?? 0) + 1);
      const fresh = await launch(service);
      return {
        id: String(fresh.child.pid),
        async readiness() {
          try {
            const response = await fetch(`${fresh.url}/readyz`, {
              signal: AbortSignal.timeout(5_000),
            });
            await response.arrayBuffer();
            return { ready: response.status === 200, detail: `/readyz ${response.status}` };
          } catch (error) {
            return { ready: false, detail: `/readyz: ${(error as Error).message}` };
          }
        },
      };
    },
    async objectStore(service) {
      if (serviceNamed(service).store !== 's3') throw new Error(`${service} has no bucket`);
      const server = await openObjectStore();
      return s3Access(server.port);
    },
    unsupported(service, need) {
      if (serviceNamed(service).store === 's3') return state.objectStore?.unavailable;
      if (service === 'transactions' && 'unavailable' in database) return database.unavailable;
      if (service === 'basket' && 'unavailable' in redis) return redis.unavailable;
      if (need === 'store') return ownStore(service);
      return undefined;
    },
    async restartStore(service, { kill, whileDown }) {
      if (serviceNamed(service).store === 's3') {
        // In this process, so a kill is a close too: the same directory and port after.
        storeDown = true;
        await closeObjectStore();
        try {
          await whileDown?.();
        } finally {
          storeDown = false;
          await openObjectStore();
        }
      } else if (service === 'basket') {
        // Same name, port and password: the processes reconnect to the same URL. Only the
        // persistent variant has a volume to find the baskets on.
        const container = redisContainer();
        await deleteRedis(container, { kill });
        try {
          await whileDown?.();
        } finally {
          // Back up even when whileDown failed, so that no other test finds it down.
          await startRedis(container, redisVariant);
        }
      } else {
        if (!('container' in database && database.container)) {
          throw new Error(driver.unsupported(service, 'store'));
        }
        // Same name, port and volume: the processes reconnect to the same URL and find the data.
        await deletePostgres(database.container, { kill });
        try {
          await whileDown?.();
        } finally {
          await startPostgres(database.container);
        }
      }
      await driver.waitForReplicas(service);
    },
    async useStoreVariant(service, variant) {
      checkVariant(service, variant);
      const container = redisContainer();
      // Whatever it held goes with it: a switch is a restart. Missing after a failed switch.
      await deleteRedis(container, { kill: true, missingOk: true });
      if (variant === 'base') await deleteRedisVolume(container);
      await startRedis(container, variant);
      redisVariant = variant;
      await driver.waitForReplicas(service);
    },
    async close() {
      closing = true;
      const front = await origin?.catch(() => undefined);
      if (front) await stopProcess(front);
      await Promise.all([...running.values()].flat().map((p) => stopProcess(p)));
      for (const balancer of balancers.values()) await (await balancer).close();
      await closeObjectStore();
    },
  };
  return driver;
}
