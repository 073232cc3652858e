import { fileURLToPath } from 'node:url';
import { serviceNamed, services, staticSiteBucket } from '../../../scripts/services.ts';
import { type Balancer, startBalancer } from '../balancer.ts';
import { run } from '../run.ts';
import { isReady, until } from '../wait.ts';
import { checkVariant, storeOf } from './stores.ts';
import type { Driver, NewReplica, Replica, StoreVariant, Target } from './target.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const project = process.env.E2E_COMPOSE_PROJECT ?? 'quadrants-e2e';

/** The override file that sets a store up as its persistent variant, by the store's name. */
const persistentFiles: Record<string, { file: string; volume: string }> = {
  'basket-redis': { file: 'docker-compose.persistent-basket.yml', volume: 'basket-redis-data' },
};

/** `-f` for docker-compose.yml and the override of each store in `persistent`. */
const composeFiles = (persistent: Iterable<string>) => [
  '-f',
  'docker-compose.yml',
  ...[...persistent].flatMap((store) => ['-f', persistentFiles[store]?.file ?? '']),
];
/** Every file: what `down` needs to find every volume, the persistent variants' included. */
const allFiles = () => composeFiles(Object.keys(persistentFiles));

/** `docker compose` (v2) where the plugin is installed, else the standalone `docker-compose`. */
async function composeCommand(): Promise<string[]> {
  try {
    await run('docker', ['compose', 'version']);
    return ['docker', 'compose'];
  } catch {
    return ['docker-compose'];
  }
}

// "127.0.0.1:" + ":8080" publishes each replica on its own ephemeral loopback port; static-site's
// object store (":9000") and the one origin likewise, so a stack of one's own may run beside.
const composeEnv = Object.fromEntries(
  [...services.map((s) => s.name), 'static-site-s3', 'gateway'].map((name) => [
    `${name.toUpperCase().replaceAll('-', '_')}_PUBLISH`,
    '127.0.0.1:',
  ]),
);

/** Runs `args` on the project; `files` (composeFiles) says which compose files it reads. */
async function compose(
  files: string[],
  args: string[],
  options: { inherit?: boolean } = {},
): Promise<string> {
  const [command = 'docker-compose', ...prefix] = await composeCommand();
  return run(command, [...prefix, '-p', project, ...files, ...args], {
    cwd: root,
    env: composeEnv,
    ...options,
  });
}

const scaleArgs = () => services.flatMap((s) => ['--scale', `${s.name}=${s.replicas}`]);

interface PortBinding {
  HostIp: string;
  HostPort: string;
}

async function containerReplica(id: string, port = 8080): Promise<Replica | undefined> {
  const [state] = JSON.parse(await run('docker', ['inspect', id])) as {
    State: { Running: boolean };
    NetworkSettings: { Ports: Record<string, PortBinding[] | null> };
  }[];
  const binding = state?.NetworkSettings.Ports[`${port}/tcp`]?.[0];
  if (!state?.State.Running || !binding) return undefined;
  return { id, url: `http://127.0.0.1:${binding.HostPort}` };
}

/** The project's containers for `service`, running or not. */
async function containerIds(service: string): Promise<string[]> {
  return (await compose(allFiles(), ['ps', '-q', service])).split('\n').filter(Boolean);
}

/** The container's healthcheck status: starting, healthy or unhealthy ('' when it has none). */
async function health(id: string): Promise<string> {
  // Without a healthcheck there is no Health at all, and the plain template would fail.
  const format = '{{if .State.Health}}{{.State.Health.Status}}{{end}}';
  return (await run('docker', ['inspect', '--format', format, id])).trim();
}

/** docker-compose.yml built from the services' Dockerfiles and run by Docker. */
export function composeTarget(): Target {
  return {
    name: 'compose',
    async up() {
      await compose(composeFiles([]), ['up', '-d', '--build', ...scaleArgs()], { inherit: true });
      const driver = composeDriver();
      for (const service of services) await driver.waitForReplicas(service.name);
      await driver.shopOrigin();
      return {};
    },
    async down() {
      await compose(allFiles(), ['down', '--volumes', '--remove-orphans', '--timeout', '30']);
    },
    driver: composeDriver,
  };
}

/** Waits until the container of `store` (or the gateway) passes its healthcheck, or runs if it has none. */
function healthyContainer(store: string) {
  return until(`${store} to be healthy`, async () => {
    const [id] = await containerIds(store);
    if (!id) return undefined;
    const status = await health(id);
    if (status === 'healthy') return true;
    if (status !== '') return undefined;
    const running = await run('docker', ['inspect', '--format', '{{.State.Running}}', id]);
    return running.trim() === 'true' ? true : undefined;
  });
}

function composeDriver(): Driver {
  const killed = new Set<string>();
  const wanted = new Map<string, number>();
  /** The stores this driver set up as their persistent variant; `up` starts every one as base. */
  const persistent = new Set<string>();
  const files = () => composeFiles(persistent);
  const running = async (service: string) =>
    (await Promise.all((await containerIds(service)).map((id) => containerReplica(id)))).filter(
      (replica): replica is Replica => replica !== undefined,
    );
  /** A balancer per service (balancedUrl), over the containers the driver knows ready. */
  const balancers = new Map<string, Promise<Balancer>>();
  const balancerOf = (service: string) => {
    let balancer = balancers.get(service);
    if (!balancer) {
      balancer = startBalancer();
      balancers.set(service, balancer);
    }
    return balancer;
  };
  /** Makes `service` run `count` containers, keeping those it has; returns the new ones' ids. */
  const scaleTo = async (service: string, count: number): Promise<string[]> => {
    const before = new Set(await containerIds(service));
    await compose(files(), [
      'up',
      '-d',
      '--no-deps',
      '--no-recreate',
      '--scale',
      `${service}=${count}`,
      service,
    ]);
    return (await containerIds(service)).filter((id) => !before.has(id));
  };

  const driver: Driver = {
    async shopOrigin() {
      // nginx, which waits for no service: healthy once it answers its own /_gateway/healthz.
      await healthyContainer('gateway');
      const [id] = await containerIds('gateway');
      const origin = id ? await containerReplica(id) : undefined;
      if (!origin) throw new Error('the gateway is not running, or publishes no port 8080');
      return origin.url;
    },
    async entryUrl(service) {
      const [first] = await running(service);
      if (!first) throw new Error(`no ${service} container is running`);
      return first.url;
    },
    replicas: running,
    async killReplica(_service, replica) {
      await run('docker', ['kill', replica.id]);
      killed.add(replica.id);
    },
    async waitForReplicas(service) {
      // Compose has no controller that replaces a lost container, and Docker leaves a killed
      // one stopped; start it again, as `restart: unless-stopped` does after a crash.
      for (const id of killed) await run('docker', ['start', id]);
      killed.clear();
      const count = wanted.get(service) ?? serviceNamed(service).replicas;
      return until(`${count} ready ${service} containers`, async () => {
        const list = await running(service);
        if (list.length !== count) return undefined;
        const ready = await Promise.all(list.map((r) => isReady(r.url)));
        return ready.every(Boolean) ? list : undefined;
      });
    },
    async scale(service, replicas) {
      wanted.set(service, replicas);
      await compose(files(), [
        'up',
        '-d',
        '--no-recreate',
        '--scale',
        `${service}=${replicas}`,
        service,
      ]);
      await driver.waitForReplicas(service);
    },
    unsupported: () => undefined,
    async restartStore(service, { kill, whileDown }) {
      const store = storeOf(service);
      // As a crash and a recreated container: the container goes, a named volume on disk stays
      // (basket-redis' tmpfs one is emptied when no container has it mounted).
      for (const id of await containerIds(store)) {
        if (kill) await run('docker', ['kill', id]);
        else await run('docker', ['stop', '--time', '60', id]);
        await run('docker', ['rm', '--force', id]);
      }
      try {
        await whileDown?.();
      } finally {
        // Back up even when whileDown failed, so that no other test finds it down.
        await compose(files(), ['up', '-d', '--no-deps', store]);
      }
      await healthyContainer(store);
      await driver.waitForReplicas(service);
    },
    async useStoreVariant(service, variant: StoreVariant) {
      const { name: store } = checkVariant(service, variant);
      if (variant === 'persistent') persistent.add(store);
      else persistent.delete(store);
      // --renew-anon-volumes: the image declares VOLUME /data, and docker-compose v1 would
      // otherwise carry the old container's volume on that path over to the new one, keeping
      // the tmpfs (or the disk) across the switch.
      await compose(files(), ['up', '-d', '--no-deps', '--renew-anon-volumes', store]);
      await healthyContainer(store);
      const volume = persistentFiles[store]?.volume;
      if (variant === 'base' && volume) {
        // The persistent variant's data, now that no container has it: the next switch to it
        // starts from an empty store, as every test that makes one expects.
        const ids = await run('docker', [
          'volume',
          'ls',
          '--quiet',
          '--filter',
          `label=com.docker.compose.project=${project}`,
          '--filter',
          `label=com.docker.compose.volume=${volume}`,
        ]);
        for (const id of ids.split('\n').filter(Boolean)) await run('docker', ['volume', 'rm', id]);
      }
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
      const count = before.length;
      // A new container first, ready, then an old one out of rotation, drained and removed:
      // what a Deployment's rolling update does, one at a time.
      for (const old of before) {
        const [id] = await scaleTo(service, count + 1);
        if (!id) throw new Error(`docker-compose started no new ${service} container`);
        const fresh = await until(`the new ${service} container to be ready`, async () => {
          const replica = await containerReplica(id);
          return replica && (await isReady(replica.url)) ? replica : undefined;
        });
        balancer.add([fresh.url]);
        await balancer.drain(old.url);
        await run('docker', ['stop', '--time', '30', old.id]);
        await run('docker', ['rm', '--force', old.id]);
      }
      await driver.waitForReplicas(service);
    },
    async addReplica(service): Promise<NewReplica> {
      const count = wanted.get(service) ?? serviceNamed(service).replicas;
      wanted.set(service, count + 1);
      const [id] = await scaleTo(service, count + 1);
      if (!id) throw new Error(`docker-compose started no new ${service} container`);
      return {
        id,
        async readiness() {
          const replica = await containerReplica(id);
          if (!replica) return { ready: false, detail: 'the container is not running' };
          try {
            const response = await fetch(`${replica.url}/readyz`, {
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
      const store = storeOf(service);
      const [id] = await containerIds(store);
      const published = id ? await containerReplica(id, 9000) : undefined;
      if (!published) throw new Error(`${store} is not running, or publishes no port 9000`);
      // docker-compose.yml's development defaults, unless the run set others.
      return {
        endpoint: published.url,
        region: 'us-east-1',
        accessKeyId: process.env.STATIC_SITE_S3_ACCESS_KEY || 'static-site-dev',
        secretAccessKey: process.env.STATIC_SITE_S3_SECRET_KEY || 'static-site-dev-only-secret',
        ...staticSiteBucket,
      };
    },
    async close() {
      for (const balancer of balancers.values()) await (await balancer).close();
    },
  };
  return driver;
}
