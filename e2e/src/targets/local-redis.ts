// basket's Redis for the local target: a container from REDIS_IMAGE run as docker-compose.yml
// runs basket-redis (the same flags and password, user 999, read-only, /data on a tmpfs) on a
// fixed loopback port, so it can be killed, deleted and created again behind the same URL, as
// a new pod of the Deployment comes up behind the same Service. The persistent variant has its
// append-only file on a named volume, which outlives the container; the base variant has
// nothing that does. The global setup starts the base variant; a test worker's driver
// recreates it in either; the global teardown deletes the container and the volume.
// REDIS_URL, when set, replaces it (and then nothing of it can be restarted).
//
// Not @quadrants/basket/testing/redis's startRedis: that one is the component tests' server
// (no password, `appendfsync always`, restarted in place), while this one must be the
// deployment's store, deleted and recreated by name from another process than its creator's.
import { randomBytes } from 'node:crypto';
import { GenericContainer, Wait } from 'testcontainers';
import {
  deleteContainer,
  dockerAnswers,
  freePort,
  removeContainerAndVolume,
  removeVolume,
} from './local-containers.ts';
import type { StoreVariant } from './target.ts';

/** The official image by default; CI and the offline kit use quadrants/redis:7. */
export const DEFAULT_REDIS_IMAGE = 'valkey/valkey:9.1-trixie';

/** Everything needed to create the same server again, in JSON for vitest's provide/inject. */
export interface RedisContainer {
  name: string;
  /** The persistent variant's data; absent from Docker while the base variant runs. */
  volume: string;
  image: string;
  hostPort: number;
  password: string;
}

/** basket's store on the local target, as the global setup hands it to the workers. */
export type LocalRedis =
  /** The suite's own container: the store-restart tests can run. */
  | { env: Record<string, string>; container: RedisContainer }
  /** REDIS_URL's server: the suite cannot restart it. */
  | { env: Record<string, string>; container?: undefined }
  /** No Redis at all, and why. */
  | { unavailable: string };

// The flags of docker-compose.yml and its persistent-basket override (and of
// k8s/base/basket/redis, k8s/components/persistent-basket), less the password.
const memoryFlags = ['--maxmemory', '96mb', '--maxmemory-policy', 'noeviction'];
const variantFlags: Record<StoreVariant, string[]> = {
  base: ['--save', '', '--appendonly', 'no'],
  persistent: ['--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec'],
};

/** testcontainers publishes on every interface; this one publishes on 127.0.0.1 only. */
class StoreContainer extends GenericContainer {
  asTheStore(hostPort: number): this {
    this.hostConfig.PortBindings = {
      '6379/tcp': [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }],
    };
    // As in docker-compose.yml: nothing but /data is written.
    this.hostConfig.ReadonlyRootfs = true;
    this.hostConfig.CapDrop = ['ALL'];
    this.hostConfig.SecurityOpt = ['no-new-privileges:true'];
    return this;
  }

  withNamedVolume(volume: string, path: string): this {
    // A new named volume is a copy of the image's /data, which both images give to 999.
    this.hostConfig.Binds = [...(this.hostConfig.Binds ?? []), `${volume}:${path}`];
    return this;
  }
}

/** What a basket process gets in its environment to use `c`. */
export const redisEnv = (c: RedisContainer): Record<string, string> => ({
  REDIS_URL: `redis://127.0.0.1:${c.hostPort}`,
  REDIS_PASSWORD: c.password,
});

/**
 * Creates the container in `variant` (the persistent one on its named volume, created the
 * first time) and waits until it serves clients, after replaying its append-only file if any.
 */
export async function startRedis(c: RedisContainer, variant: StoreVariant): Promise<void> {
  let container = new StoreContainer(c.image)
    .withName(c.name)
    .withUser('999:999')
    .withCommand([
      'valkey-server',
      ...variantFlags[variant],
      ...memoryFlags,
      '--requirepass',
      c.password,
    ])
    .asTheStore(c.hostPort)
    // The server's own line once it serves clients, after loading an append-only file.
    .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
    // A busy 2-core runner.
    .withStartupTimeout(120_000);
  container =
    variant === 'persistent'
      ? container.withNamedVolume(c.volume, '/data')
      : // In memory and bounded, as in docker-compose.yml; 999 must be able to write it.
        container.withTmpFs({ '/data': 'size=16m,uid=999,gid=999,mode=0700' });
  await container.start();
}

/**
 * Stops the container (SIGKILL with `kill`, else its clean stop, which saves nothing with
 * persistence off) and deletes it; the persistent variant's volume stays.
 */
export async function deleteRedis(
  c: RedisContainer,
  { kill, missingOk = false }: { kill: boolean; missingOk?: boolean },
) {
  await deleteContainer(c.name, { kill, graceSeconds: 10, missingOk });
}

/** Deletes the persistent variant's data (after its container is gone). */
export async function deleteRedisVolume(c: RedisContainer): Promise<void> {
  await removeVolume(c.volume);
}

/** Deletes the container and the volume, whichever of them exists. */
export async function removeRedis(c: RedisContainer): Promise<void> {
  await removeContainerAndVolume(c.name, c.volume);
}

/**
 * REDIS_URL's server when it is set, else a new container in the base variant. Without
 * either, basket cannot run here, and the answer says why (geo still can).
 * `onContainer` hears of the container before it starts, so a failed start can be cleaned up.
 */
export async function provideRedis(onContainer: (c: RedisContainer) => void): Promise<LocalRedis> {
  const fromEnv = process.env.REDIS_URL?.trim();
  if (fromEnv) {
    // REDIS_PASSWORD, when set, reaches the processes with the rest of the environment.
    return { env: { REDIS_URL: fromEnv } };
  }
  if (!(await dockerAnswers())) {
    return {
      unavailable:
        'basket needs Redis: the local target starts it with Docker, and no Docker engine ' +
        'answers (start one, or set REDIS_URL to a server of your own)',
    };
  }
  const suffix = `${process.pid}-${randomBytes(3).toString('hex')}`;
  const container: RedisContainer = {
    name: `quadrants-e2e-redis-${suffix}`,
    volume: `quadrants-e2e-redis-${suffix}`,
    image: process.env.REDIS_IMAGE?.trim() || DEFAULT_REDIS_IMAGE,
    hostPort: await freePort(),
    password: randomBytes(12).toString('hex'),
  };
  onContainer(container);
  console.log(`e2e: starting Redis (${container.image}) on 127.0.0.1:${container.hostPort}`);
  try {
    await startRedis(container, 'base');
  } catch (error) {
    throw new Error(
      `Redis (${container.image}) did not start: ${(error as Error).message}. Where no ` +
        'registry is reachable, set REDIS_IMAGE=quadrants/redis:7 (scripts/offline-images)',
      { cause: error },
    );
  }
  return { env: redisEnv(container), container };
}
