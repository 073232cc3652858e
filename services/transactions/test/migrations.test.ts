import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@quadrants/service-kit';
import { startServiceProcess } from '@quadrants/service-kit/testing';
import pg from 'pg';
import { describe, expect, inject, test } from 'vitest';
import { migrate, shippedMigrations } from '../src/data/migrations.ts';
import { adminQuery, withDatabase } from '../test-support/postgres.ts';
import { startLedger } from './ledger.ts';

const quiet = createLogger({ service: 'test', level: 'silent', pretty: false });
const migrateEntry = fileURLToPath(new URL('../src/migrate.ts', import.meta.url));

/** An empty database: no schema at all. */
async function emptyDatabase(): Promise<string> {
  const name = `m_${randomUUID().replaceAll('-', '')}`;
  await adminQuery(inject('postgresAdminUrl'), `CREATE DATABASE "${name}"`);
  return withDatabase(inject('postgresAdminUrl'), name);
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

describe('migrate', () => {
  test('applies every shipped migration once; a second run applies nothing', async () => {
    const url = await emptyDatabase();
    expect(await withClient(url, (c) => migrate(c, quiet))).toEqual(shippedMigrations());
    expect(await withClient(url, (c) => migrate(c, quiet))).toEqual([]);
  });

  test('two migrators at once: one applies, the other waits and finds nothing to do', async () => {
    const url = await emptyDatabase();
    const runs = await Promise.all([
      withClient(url, (c) => migrate(c, quiet)),
      withClient(url, (c) => migrate(c, quiet)),
    ]);
    expect(runs.flat().toSorted()).toEqual(shippedMigrations());
    const applied = await withClient(url, (c) => c.query('SELECT name FROM pgmigrations'));
    expect(applied.rows.map((r) => r.name)).toEqual(shippedMigrations());
  });

  test('the one-shot process exits 0 and logs what it applied', async () => {
    const url = await emptyDatabase();
    const run = startServiceProcess(migrateEntry, { DATABASE_URL: url, LOG_LEVEL: 'info' });
    expect(await run.exited).toBe(0);
    expect(run.lines.at(-1)).toMatchObject({
      msg: 'migrations applied',
      applied: shippedMigrations(),
    });
  });

  test('the one-shot process exits 1 with one fatal line when PostgreSQL cannot be reached', async () => {
    const run = startServiceProcess(migrateEntry, {
      // Port 1 on loopback: refused at once.
      DATABASE_URL: 'postgres://app:s3cret@127.0.0.1:1/ledger',
      LOG_LEVEL: 'info',
    });
    expect(await run.exited).toBe(1);
    expect(run.lines.at(-1)).toMatchObject({ msg: 'migration failed' });
    expect(JSON.stringify(run.lines)).not.toContain('s3cret');
  });
});

describe('readiness before migration', () => {
  test('an unmigrated database keeps /readyz at 503 (schema failing) until migrate runs', async () => {
    const url = await emptyDatabase();
    const ledger = await startLedger({ url });
    try {
      const before = await ledger.api.get<{ checks: Record<string, string> }>('/readyz');
      expect(before.status).toBe(503);
      expect(before.body.checks).toEqual({ postgres: 'ok', schema: 'failing' });
      await withClient(url, (c) => migrate(c, quiet));
      const after = await ledger.api.get('/readyz');
      expect(after.status).toBe(200);
    } finally {
      await ledger.close();
    }
  });
});
