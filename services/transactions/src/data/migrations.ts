// The schema's versioned SQL (../../migrations/*.sql), applied by node-pg-migrate, and the
// check that tells readiness whether the database has the schema this code was written for.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@quadrants/service-kit';
import { runner } from 'node-pg-migrate';
import type pg from 'pg';

/** From src/data/ and from dist/data/ alike, the package's migrations/ is two levels up. */
export const migrationsDir = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** node-pg-migrate's record of what was applied. */
const MIGRATIONS_TABLE = 'pgmigrations';

/** The migrations this code ships, by name (file name without .sql), oldest first. */
export function shippedMigrations(dir = migrationsDir): string[] {
  return readdirSync(dir)
    .filter((file) => /^\d+_.+\.sql$/.test(file))
    .map((file) => file.slice(0, -'.sql'.length))
    .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
}

/**
 * Applies every pending migration in one transaction. Under an advisory lock that a second
 * migrator waits for (rather than failing), so running it twice, or in two places at once,
 * is safe: the second finds nothing left to do. Returns the names it applied.
 */
export async function migrate(client: pg.ClientBase, log: Logger): Promise<string[]> {
  const applied = await runner({
    dbClient: client,
    dir: migrationsDir,
    // Only the numbered SQL files: the folder's README is not a migration.
    ignorePattern: '(\\..*)|(.*\\.md)',
    migrationsTable: MIGRATIONS_TABLE,
    direction: 'up',
    count: Number.POSITIVE_INFINITY,
    checkOrder: true,
    singleTransaction: true,
    advisoryLockMode: 'wait',
    log: () => {},
    logger: {
      debug: (message: string) => log.debug(message),
      info: (message: string) => log.debug(message),
      warn: (message: string) => log.warn(message),
      error: (message: string) => log.error(message),
    },
  });
  return applied.map((migration) => migration.name);
}

/** Resolves when the newest shipped migration has been applied; rejects naming what is missing. */
export async function checkSchema(
  pool: Pick<pg.Pool, 'query'>,
  latest = shippedMigrations().at(-1),
): Promise<void> {
  if (latest === undefined) return;
  let found: boolean;
  try {
    const { rows } = await pool.query(`SELECT 1 FROM ${MIGRATIONS_TABLE} WHERE name = $1`, [
      latest,
    ]);
    found = rows.length > 0;
  } catch (error) {
    if ((error as { code?: string }).code !== '42P01') throw error; // undefined_table
    found = false;
  }
  if (!found) throw new Error(`migration ${latest} is not applied yet: run the migrations`);
}
