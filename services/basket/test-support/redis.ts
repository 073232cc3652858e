// A real Redis for the tests: REDIS_URL's server when it is set, else a container from
// REDIS_IMAGE (the official valkey/valkey:9.1-trixie by default; CI and the offline kit use
// quadrants/redis:7, Debian's Redis 7.0 with the same contract, images/redis/). Run as the
// store runs (no snapshots, no append-only file, maxmemory with noeviction) but without a
// password. Shared by the component tests here and whoever imports
// @quadrants/basket/testing/redis (bench).

import { randomUUID } from 'node:crypto';
import { freeLoopbackPort } from '@quadrants/service-kit/testing';
import {
  GenericContainer,
  getContainerRuntimeClient,
  type StartedTestContainer,
  Wait,
} from 'testcontainers';

export const DEFAULT_REDIS_IMAGE = 'valkey/valkey:9.1-trixie';

/** The store's flags in docker-compose.yml and k8s/base/basket, less the password; persistence is below. */
const BASE_FLAGS = ['--save', '', '--maxmemory', '96mb', '--maxmemory-policy', 'noeviction'];

export interface RedisServer {
  /** redis://127.0.0.1:PORT (no password). */
  url: string;
  /** The container, when this process started one; absent for REDIS_URL's server. */
  container?: StartedTestContainer;
  /**
   * docker restart: SIGTERM (or SIGKILL with `kill: true`), then the same container starts again
   * on the same port; resolves once it accepts connections. Without persistence the keys are
   * gone; with it they are kept. Only for a container this process started.
   */
  restart(options?: { kill?: boolean }): Promise<void>;
  /**
   * docker pause: the server stops answering but keeps its connections open, so clients hang
   * (until their command timeout) instead of being refused, as with a stalled node or network.
   */
  pause(): Promise<void>;
  unpause(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Start a container even when REDIS_URL is set: for a test that restarts or pauses it. */
  ownContainer?: boolean;
  /** The loopback port for the container's 6379 (a free one by default); a restart keeps it. */
  hostPort?: number;
  /**
   * The persistent-basket variant: the append-only file on a named volume, fsynced on every
   * write (`always`, not the deployment's `everysec`), so that even a SIGKILL loses no
   * acknowledged write and a test can say so without a race.
   */
  persistent?: boolean;
}

/**
 * testcontainers publishes a port on every interface; this publishes 6379 on 127.0.0.1 only,
 * on the port given, which a restarted container keeps.
 */
class LoopbackRedisContainer extends GenericContainer {
  onLoopbackPort(hostPort: number): this {
    this.hostConfig.PortBindings = {
      '6379/tcp': [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }],
    };
    return this;
  }

  withNamedVolume(volume: string, path: string): this {
    this.hostConfig.Binds = [...(this.hostConfig.Binds ?? []), `${volume}:${path}`];
    return this;
  }
}

function notOurs(what: string): () => Promise<never> {
  return () =>
    Promise.reject(
      new Error(`cannot ${what} REDIS_URL's server: startRedis({ ownContainer: true }) for that`),
    );
}

/**
 * REDIS_URL's server, or a new container. A container is also started when REDIS_URL is set
 * but ownContainer, hostPort or persistent asks for what only one's own can give. Ryuk,
 * testcontainers' reaper, comes from a registry that may be out of reach, so it is off unless
 * asked for, and stop() removes the container (and its volume) instead.
 */
export async function startRedis(options: StartOptions = {}): Promise<RedisServer> {
  const env = process.env;
  const wantsContainer = options.ownContainer || options.persistent || options.hostPort;
  if (env.REDIS_URL && !wantsContainer) {
    return {
      url: env.REDIS_URL,
      restart: notOurs('restart'),
      pause: notOurs('pause'),
      unpause: notOurs('unpause'),
      stop: async () => {},
    };
  }
  env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  // The port is published on the host's loopback only (below), so that is where to look for it.
  env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
  const image = env.REDIS_IMAGE || DEFAULT_REDIS_IMAGE;
  const hostPort = options.hostPort ?? (await freeLoopbackPort());
  const persistence = options.persistent
    ? ['--appendonly', 'yes', '--appendfsync', 'always']
    : ['--appendonly', 'no'];
  // A named volume, not the image's anonymous one, so a test may also start a new container
  // on the same data; stop() removes it.
  const volume = options.persistent ? `basket-test-redis-${randomUUID().slice(0, 8)}` : undefined;
  let container = new LoopbackRedisContainer(image)
    .withCommand(['valkey-server', ...BASE_FLAGS, ...persistence])
    // The server's own line once it serves clients, after loading the append-only file if any;
    // testcontainers looks for it again, in the new log lines only, after a restart.
    .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
    // A busy 2-core runner, and a first start may create the image's volume.
    .withStartupTimeout(120_000)
    .onLoopbackPort(hostPort);
  if (volume) container = container.withNamedVolume(volume, '/data');
  let started: StartedTestContainer;
  try {
    started = await container.start();
  } catch (error) {
    await removeVolume(volume);
    throw new Error(
      `could not start a Redis container from ${image}: these tests need a Docker engine, or ` +
        'REDIS_URL naming a Redis to use. Where no registry is reachable, scripts/offline-images ' +
        'builds quadrants/redis:7: set REDIS_IMAGE=quadrants/redis:7',
      { cause: error },
    );
  }
  const client = await getContainerRuntimeClient();
  const docker = client.container.getById(started.getId());
  return {
    url: `redis://127.0.0.1:${hostPort}`,
    container: started,
    // testcontainers' timeout is in milliseconds; 0 is SIGKILL at once.
    restart: (restartOptions = {}) =>
      started.restart({ timeout: restartOptions.kill ? 0 : 10_000 }),
    pause: async () => {
      await docker.pause();
    },
    unpause: async () => {
      await docker.unpause();
    },
    stop: async () => {
      // A paused container cannot be stopped; a test that failed mid-pause still cleans up.
      const state = await docker.inspect();
      if (state.State.Paused) await docker.unpause();
      await started.stop({ remove: true, removeVolumes: true });
      await removeVolume(volume);
    },
  };
}

async function removeVolume(volume: string | undefined): Promise<void> {
  if (!volume) return;
  const client = await getContainerRuntimeClient();
  await client.container.dockerode
    .getVolume(volume)
    .remove()
    .catch(() => {}); // never created: the container did not start
}
