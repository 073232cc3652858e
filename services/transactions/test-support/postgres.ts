// A real PostgreSQL for the tests: DATABASE_URL's server when it is set, else a container from
// POSTGRES_IMAGE (the official postgres:18-bookworm by default; CI and the offline kit use
// quadrants/postgres:15, built from Debian's packages with the same contract). Shared by the
// component tests here and bench/transactions (the e2e suite has its own, in
// e2e/src/targets/local-postgres.ts, which recreates a container on a named volume).

import { createLogger } from '@quadrants/service-kit';
import { freeLoopbackPort } from '@quadrants/service-kit/testing';
import { PostgreSqlContainer, type StartedPostgreSqlContainer } from '@testcontainers/postgresql';
import pg from 'pg';
import { migrate } from '../src/data/migrations.ts';

export const DEFAULT_POSTGRES_IMAGE = 'postgres:18-bookworm';

export interface PostgresServer {
  /** A URL of the server's maintenance database, for CREATE DATABASE and the like. */
  adminUrl: string;
  /** The container, when this process started one; absent for DATABASE_URL's server. */
  container?: StartedPostgreSqlContainer;
  stop(): Promise<void>;
}

/**
 * testcontainers publishes a port on every interface; this publishes 5432 on 127.0.0.1 only,
 * on the port given, which a restarted container keeps.
 */
class LoopbackPostgreSqlContainer extends PostgreSqlContainer {
  onLoopbackPort(hostPort: number): this {
    this.hostConfig.PortBindings = {
      '5432/tcp': [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }],
    };
    return this;
  }
}

/** The URL `url` with another database name. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.href;
}

export interface StartOptions {
  /** The loopback port for the container's 5432 (a free one by default); a restart keeps it. */
  hostPort?: number;
  /**
   * Start a container even when DATABASE_URL is set: for a test that kills its server, which
   * then also keeps synchronous_commit on, so that every acknowledged commit survives the kill.
   */
  ownContainer?: boolean;
}

/**
 * DATABASE_URL's server, or a new container. Ryuk, testcontainers' reaper, comes from a
 * registry that may be out of reach, so it is off unless asked for, and stop() removes the
 * container instead.
 */
export async function startPostgres(options: StartOptions = {}): Promise<PostgresServer> {
  const env = process.env;
  if (env.DATABASE_URL && !options.ownContainer) {
    return { adminUrl: env.DATABASE_URL, stop: async () => {} };
  }
  env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  // The port is published on the host's loopback only (below), so that is where to look for it.
  env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
  const settings = [
    // A test's data need not survive a machine crash: skip the fsyncs. A killed PostgreSQL
    // still loses nothing it acknowledged, as the kernel keeps what was written.
    'fsync=off',
    'full_page_writes=off',
    // Faster still, but a kill loses the last commits: only where nothing kills the server.
    ...(options.ownContainer ? [] : ['synchronous_commit=off']),
  ];
  const container = new LoopbackPostgreSqlContainer(env.POSTGRES_IMAGE || DEFAULT_POSTGRES_IMAGE)
    .withDatabase('postgres')
    .withUsername('postgres')
    .withPassword('postgres')
    // A busy 2-core runner: the first start runs initdb, then PostgreSQL starts twice.
    .withStartupTimeout(180_000)
    // testcontainers' own check is `sh -c "pg_isready …"` every 250 ms with a 1 s timeout: on a
    // busy machine Docker kills the shell at the timeout, pg_isready is orphaned to PID 1 (the
    // postmaster), and its exit makes the postmaster take it for a crashed backend and restart
    // every session, losing what synchronous_commit=off had not yet written. Exec form: no
    // shell, no orphan. (The manifests' and compose's probes are exec form for the same reason.)
    .withHealthCheck({
      test: [
        'CMD',
        'pg_isready',
        '--host',
        '127.0.0.1',
        '--username',
        'postgres',
        '--dbname',
        'postgres',
      ],
      interval: 1_000,
      timeout: 10_000,
      retries: 180,
    })
    .withCommand(['postgres', ...settings.flatMap((setting) => ['-c', setting])])
    .onLoopbackPort(options.hostPort ?? (await freeLoopbackPort()));
  let started: StartedPostgreSqlContainer;
  try {
    started = await container.start();
  } catch (error) {
    throw new Error(
      `could not start a PostgreSQL container from ${env.POSTGRES_IMAGE || DEFAULT_POSTGRES_IMAGE}: ` +
        'these tests need a Docker engine, or DATABASE_URL naming a PostgreSQL to use. Where no ' +
        'registry is reachable, scripts/offline-images builds quadrants/postgres:15: set ' +
        'POSTGRES_IMAGE=quadrants/postgres:15',
      { cause: error },
    );
  }
  return {
    adminUrl: started.getConnectionUri(),
    container: started,
    stop: async () => {
      await started.stop({ remove: true, removeVolumes: true });
    },
  };
}

/** Runs statements on the server's maintenance database. */
export async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const quiet = createLogger({ service: 'test-migrate', level: 'silent', pretty: false });

/** Creates database `name` (dropping an older one of that name) and migrates it. */
export async function createMigratedDatabase(adminUrl: string, name: string): Promise<string> {
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await adminQuery(adminUrl, `CREATE DATABASE "${name}"`);
  const url = withDatabase(adminUrl, name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await migrate(client, quiet);
  } finally {
    await client.end();
  }
  return url;
}

/** A database of its own for one test file, copied from a migrated template in one statement. */
export async function databaseFromTemplate(
  adminUrl: string,
  template: string,
  name: string,
): Promise<string> {
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await adminQuery(adminUrl, `CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  return withDatabase(adminUrl, name);
}
