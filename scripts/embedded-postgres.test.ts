import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { type EmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres.ts';

// Creating a database runs PGlite's initdb: about 20 s on a busy two-core machine. Each test
// that does not test creation copies one made once for the file.
const CREATE_TIMEOUT_MS = 180_000;
const TEST_TIMEOUT_MS = 90_000;

let scratch: string;
let template: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'embedded-postgres-'));
  template = join(scratch, 'template');
  await (await startEmbeddedPostgres({ dataDir: template })).close();
}, CREATE_TIMEOUT_MS);

afterAll(() => rm(scratch, { recursive: true, force: true }));

/** A data directory of its own for one test: a copy of the template, or none yet (`fresh`). */
async function aDataDir(options: { fresh?: boolean } = {}): Promise<string> {
  const dir = await mkdtemp(join(scratch, 'test-'));
  const dataDir = join(dir, 'transactions');
  if (!options.fresh) await cp(template, dataDir, { recursive: true });
  return dataDir;
}

/** The embedded PostgreSQL on `dataDir`, closed when the test finishes. */
async function started(dataDir: string): Promise<EmbeddedPostgres> {
  const postgres = await startEmbeddedPostgres({ dataDir });
  onTestFinished(() => postgres.close());
  return postgres;
}

/** A connected pg client, ended when the test finishes. */
async function aClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 30_000 });
  // The server closing under a connected client is an error event; a test says what it expects.
  client.on('error', () => {});
  await client.connect();
  onTestFinished(() => client.end().catch(() => {}));
  return client;
}

describe('startEmbeddedPostgres', () => {
  test(
    'creates the database on first use, even where a first start was cut short, and keeps it across a restart',
    async () => {
      const dataDir = await aDataDir({ fresh: true });
      // What an interrupted creation leaves behind.
      await mkdir(`${dataDir}.partial`);
      await writeFile(join(`${dataDir}.partial`, 'PG_VERSION'), 'half-made\n');

      const first = await startEmbeddedPostgres({ dataDir });
      expect(first.url).toBe(`postgres://postgres@127.0.0.1:${first.port}/postgres`);
      const client = await aClient(first.url);
      await client.query('CREATE TABLE notes (body text NOT NULL)');
      await client.query("INSERT INTO notes VALUES ('kept')");
      await client.end();
      await first.close();
      expect(existsSync(`${dataDir}.partial`)).toBe(false);

      const again = await started(dataDir);
      const reader = await aClient(again.url);
      const { rows } = await reader.query('SELECT body FROM notes');
      expect(rows).toEqual([{ body: 'kept' }]);
    },
    CREATE_TIMEOUT_MS,
  );

  test(
    'when closed with a transaction open, keeps what was committed and drops the rest',
    async () => {
      const dataDir = await aDataDir();
      const first = await startEmbeddedPostgres({ dataDir });
      const client = await aClient(first.url);
      await client.query('CREATE TABLE notes (body text NOT NULL)');
      await client.query("INSERT INTO notes VALUES ('committed')");
      await client.query('BEGIN');
      await client.query("INSERT INTO notes VALUES ('never committed')");
      await first.close();

      const again = await started(dataDir);
      const reader = await aClient(again.url);
      const { rows } = await reader.query('SELECT body FROM notes');
      expect(rows).toEqual([{ body: 'committed' }]);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'gives each connection a fresh session: no prepared statement, setting or lock of the one before',
    async () => {
      const postgres = await started(await aDataDir());
      const first = await aClient(postgres.url);
      // What a pool's connection leaves in the session: pg's named statements, a setting, a lock.
      await first.query({ name: 'claim-key', text: 'SELECT $1::int AS n', values: [1] });
      await first.query("SET application_name = 'first'");
      await first.query('SELECT pg_advisory_lock(42)');
      await first.end();

      // The pool's replacement, after its idle timeout: the same statement name prepares again.
      const second = await aClient(postgres.url);
      const { rows } = await second.query({
        name: 'claim-key',
        text: 'SELECT $1::int AS n',
        values: [2],
      });
      expect(rows).toEqual([{ n: 2 }]);
      expect((await second.query('SHOW application_name')).rows[0].application_name).not.toBe(
        'first',
      );
      const locks = await second.query(
        "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'",
      );
      expect(locks.rows).toEqual([{ n: 0 }]);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'serves one connection at a time: another answers 53300 until the first has closed',
    async () => {
      const postgres = await started(await aDataDir());
      const first = await aClient(postgres.url);
      await first.query('SELECT 1');

      const second = new pg.Client({ connectionString: postgres.url });
      const refused = await second.connect().then(
        () => undefined,
        (error: unknown) => error as { code?: string; message?: string },
      );
      await second.end().catch(() => {});
      expect(refused?.code).toBe('53300');
      expect(refused?.message).toMatch(/one connection at a time/);

      await first.end();
      const next = await aClient(postgres.url);
      const { rows } = await next.query('SELECT 41 + 1 AS answer');
      expect(rows).toEqual([{ answer: 42 }]);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'refuses a directory that a running process has open, and takes over the lock of one that died',
    async () => {
      const dataDir = await aDataDir();
      const open = await started(dataDir);
      await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(
        `is in use by process ${process.pid}`,
      );
      await open.close();

      // The lock a killed `pnpm start` leaves: a process id that no longer runs.
      const dead = spawnSync(process.execPath, ['-e', '']).pid;
      await writeFile(`${dataDir}.lock`, `${dead}\n`);
      const postgres = await started(dataDir);
      const client = await aClient(postgres.url);
      const { rows } = await client.query('SELECT 1 AS one');
      expect(rows).toEqual([{ one: 1 }]);
    },
    TEST_TIMEOUT_MS,
  );
});
