// The one-shot migrator: applies the schema's pending migrations and exits (0 when the
// database is up to date, 1 when it could not get there). Run by the Kubernetes Job
// `transactions-migrate`, compose's `transactions-migrate` service and `pnpm start`; safe to
// run twice and from two places at once. The API never migrates.
import { ConfigError, createLogger } from '@quadrants/service-kit';
import pg from 'pg';
import { loadTransactionsConfig } from './config.ts';
import { connectionString } from './data/database.ts';
import { migrate, shippedMigrations } from './data/migrations.ts';

let config: ReturnType<typeof loadTransactionsConfig>;
try {
  config = loadTransactionsConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  createLogger({ service: 'transactions-migrate', level: 'info' }).fatal(
    { problems: error.problems },
    `invalid configuration: ${error.problems.join('; ')}`,
  );
  process.exit(1);
}

const log = createLogger({ service: 'transactions-migrate', level: config.LOG_LEVEL });
const client = new pg.Client({
  connectionString: connectionString(config.DATABASE_URL, config.DATABASE_PASSWORD),
  connectionTimeoutMillis: config.DATABASE_CONNECT_TIMEOUT_MS,
  application_name: 'transactions-migrate',
});
// An error event on a client nobody listens to would crash the process without a log line.
client.on('error', (error) => log.error({ err: error }, 'database connection failed'));

const started = Date.now();
try {
  await client.connect();
  const applied = await migrate(client, log);
  log.info(
    { applied, latest: shippedMigrations().at(-1), ms: Date.now() - started },
    applied.length > 0 ? 'migrations applied' : 'schema already up to date',
  );
} catch (error) {
  log.fatal({ err: error }, 'migration failed');
  process.exitCode = 1;
} finally {
  await client.end().catch(() => {});
}
