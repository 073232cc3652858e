import { fileURLToPath } from 'node:url';
import { serviceNamed, services } from '../../../scripts/services.ts';
import { run } from '../run.ts';
import { isReady, until } from '../wait.ts';
import { storeOf } from './stores.ts';
import type { Driver, Replica, Target } from './target.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const project = process.env.E2E_COMPOSE_PROJECT ?? 'quadrants-e2e';

/** `docker compose` (v2) where the plugin is installed, else the standalone `docker-compose`. */
async function composeCommand(): Promise<string[]> {
  try {
    await run('docker', ['compose', 'version']);
    return ['docker', 'compose'];
  } catch {
    return ['docker-compose'];
  }
}

// "127.0.0.1:" + ":8080" publishes each replica on its own ephemeral loopback port.
const composeEnv = Object.fromEntries(
  services.map((s) => [`${s.name.toUpperCase().replaceAll('-', '_')}_PUBLISH`, '127.0.0.1:']),
);

async function compose(args: string[], options: { inherit?: boolean } = {}) {
  const [command = 'docker-compose', ...prefix] = await composeCommand();
  return run(command, [...prefix, '-p', project, ...args], {
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

async function containerReplica(id: string): Promise<Replica | undefined> {
  const [state] = JSON.parse(await run('docker', ['inspect', id])) as {
    State: { Running: boolean };
    NetworkSettings: { Ports: Record<string, PortBinding[] | null> };
  }[];
  const binding = state?.NetworkSettings.Ports['8080/tcp']?.[0];
  if (!state?.State.Running || !binding) return undefined;
  return { id, url: `http://127.0.0.1:${binding.HostPort}` };
}

/** The project's containers for `service`, running or not. */
async function containerIds(service: string): Promise<string[]> {
  return (await compose(['ps', '-q', service])).split('\n').filter(Boolean);
}

/** The container's healthcheck status: starting, healthy or unhealthy ('' when it has none). */
async function health(id: string): Promise<string> {
  return (await run('docker', ['inspect', '--format', '{{.State.Health.Status}}', id])).trim();
}

/** docker-compose.yml built from the services' Dockerfiles and run by Docker. */
export function composeTarget(): Target {
  return {
    name: 'compose',
    async up() {
      await compose(['up', '-d', '--build', ...scaleArgs()], { inherit: true });
      const driver = composeDriver();
      for (const service of services) await driver.waitForReplicas(service.name);
      return {};
    },
    async down() {
      await compose(['down', '--volumes', '--remove-orphans', '--timeout', '30']);
    },
    driver: composeDriver,
  };
}

function composeDriver(): Driver {
  const killed = new Set<string>();
  const wanted = new Map<string, number>();
  const running = async (service: string) =>
    (await Promise.all((await containerIds(service)).map(containerReplica))).filter(
      (replica): replica is Replica => replica !== undefined,
    );

  return {
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
      await compose(['up', '-d', '--no-recreate', '--scale', `${service}=${replicas}`, service]);
      await this.waitForReplicas(service);
    },
    unsupported: () => undefined,
    async restartStore(service, { kill }) {
      const store = storeOf(service);
      // As a crash and a recreated container: the container goes, the named volume stays.
      for (const id of await containerIds(store)) {
        if (kill) await run('docker', ['kill', id]);
        else await run('docker', ['stop', '--time', '60', id]);
        await run('docker', ['rm', '--force', id]);
      }
      await compose(['up', '-d', '--no-deps', store]);
      await until(`${store} to be healthy`, async () => {
        const [id] = await containerIds(store);
        return id && (await health(id)) === 'healthy' ? true : undefined;
      });
      await this.waitForReplicas(service);
    },
    async close() {},
  };
}
