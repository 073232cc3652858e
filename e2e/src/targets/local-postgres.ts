// transactions' PostgreSQL for the local target: a container from POSTGRES_IMAGE on a named
// volume and a fixed loopback port, so it can be killed, deleted and created again with the
// same data and the same URL, as a pod of a StatefulSet comes back on its claim. The global
// setup starts and migrates it; a test worker's driver recreates it; the global teardown
// deletes the container and the volume. DATABASE_URL, when set, replaces it.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { PostgreSqlContainer } from '@testcontainers/postgresql';
import { run } from '../run.ts';
import {
  deleteContainer,
  dockerAnswers,
  freePort,
  removeContainerAndVolume,
} from './local-containers.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The official image by default; CI and the offline kit use quadrants/postgres:15. */
export const DEFAULT_POSTGRES_IMAGE = 'postgres:18-bookworm';

/** Everything needed to create the same server again, in JSON for vitest's provide/inject. */
export interface PostgresContainer {
  name: string;
  volume: string;
  image: string;
  hostPort: number;
  password: string;
}

/** transactions' database on the local target, as the global setup hands it to the workers. */
export type LocalDatabase =
  /** The suite's own container: the store-restart tests can run. */
  | { url: string; container: PostgresContainer }
  /** DATABASE_URL's server: the suite cannot restart it. */
  | { url: string; container?: undefined }
  /** No database at all, and why. */
  | { unavailable: string };

/**
 * testcontainers publishes on every interface and leaves the host port to Docker; this one
 * publishes on 127.0.0.1 only, on the port it is given.
 */
class LoopbackPostgreSqlContainer extends PostgreSqlContainer {
  onLoopbackPort(hostPort: number): this {
    this.hostConfig.PortBindings = {
      '5432/tcp': [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }],
    };
    return this;
  }
}

export const databaseUrl = (c: PostgresContainer) =>
  `postgres://transactions:${c.password}@127.0.0.1:${c.hostPort}/transactions`;

/**
 * Creates the container (and, the first time, its volume) and waits until it accepts
 * connections. With the server's own defaults, fsync and synchronous_commit on, unlike a
 * component test's throwaway server: the tests kill it to prove that an acknowledged commit
 * survives, which is what those settings keep.
 */
export async function startPostgres(c: PostgresContainer): Promise<void> {
  await new LoopbackPostgreSqlContainer(c.image)
    .withName(c.name)
    .withDatabase('transactions')
    .withUsername('transactions')
    .withPassword(c.password)
    .onLoopbackPort(c.hostPort)
    // The volume's root: PGDATA is a subdirectory of it in both images (docker-compose.yml).
    .withBindMounts([{ source: c.volume, target: '/var/lib/postgresql' }])
    // initdb, a start and a restart on a busy 2-core runner.
    .withStartupTimeout(180_000)
    // Exec form, not testcontainers' `sh -c "pg_isready …"`: a shell Docker kills at a busy
    // moment's timeout orphans pg_isready to PID 1, the postmaster, which then takes its exit
    // for a crashed backend and restarts every session.
    .withHealthCheck({
      test: ['CMD', 'pg_isready', '--host', '127.0.0.1', '--username', 'transactions'],
      interval: 1_000,
      timeout: 10_000,
      retries: 180,
    })
    .start();
}

/**
 * Stops the container (SIGKILL with `kill`, else the image's clean stop) and deletes it; the
 * volume, and so the data, stays.
 */
export async function deletePostgres(c: PostgresContainer, { kill }: { kill: boolean }) {
  await deleteContainer(c.name, { kill, graceSeconds: 60 });
}

/** Deletes the container and its volume, whichever of them exists. */
export async function removePostgres(c: PostgresContainer): Promise<void> {
  await removeContainerAndVolume(c.name, c.volume);
}

/** transactions' one-shot migrator from source, as `pnpm start` runs it. */
async function migrate(url: string) {
  await run(
    process.execPath,
    ['--conditions=@quadrants/source', `${root}services/transactions/src/migrate.ts`],
    { env: { DATABASE_URL: url, LOG_LEVEL: 'info' }, cwd: root },
  );
}

/**
 * DATABASE_URL's server when it is set, else a new container; migrated either way. Without
 * either, transactions cannot run here, and the answer says why (geo still can).
 * `onContainer` hears of the container before it starts, so a failed start can be cleaned up.
 */
export async function provideDatabase(
  onContainer: (c: PostgresContainer) => void,
): Promise<LocalDatabase> {
  const fromEnv = process.env.DATABASE_URL?.trim();
  if (fromEnv) {
    await migrate(fromEnv);
    return { url: fromEnv };
  }
  if (!(await dockerAnswers())) {
    return {
      unavailable:
        'transactions needs PostgreSQL: the local target starts it with Docker, and no Docker ' +
        'engine answers (start one, or set DATABASE_URL to a server of your own)',
    };
  }
  const suffix = `${process.pid}-${randomBytes(3).toString('hex')}`;
  const container: PostgresContainer = {
    name: `quadrants-e2e-postgres-${suffix}`,
    volume: `quadrants-e2e-postgres-${suffix}`,
    image: process.env.POSTGRES_IMAGE?.trim() || DEFAULT_POSTGRES_IMAGE,
    hostPort: await freePort(),
    password: randomBytes(12).toString('hex'),
  };
  onContainer(container);
  console.log(`e2e: starting PostgreSQL (${container.image}) on 127.0.0.1:${container.hostPort}`);
  try {
    await startPostgres(container);
  } catch (error) {
    throw new Error(
      `PostgreSQL (${container.image}) did not start: ${(error as Error).message}. Where no ` +
        'registry is reachable, set POSTGRES_IMAGE=quadrants/postgres:15 (scripts/offline-images)',
      { cause: error },
    );
  }
  const url = databaseUrl(container);
  await migrate(url);
  return { url, container };
}
