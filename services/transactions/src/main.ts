// transactions' process: config → PostgreSQL pool (registered with its readiness check) →
// ledger store → app → listen. It never migrates: /readyz stays failing until
// `node dist/migrate.js` (the Job, compose's one-shot, `pnpm start`) has applied the schema.
import { runService } from '@quadrants/service-kit';
import { createApp } from './app.ts';
import { loadTransactionsConfig } from './config.ts';
import { createPool } from './data/database.ts';
import { startKeySweeper } from './data/key-sweeper.ts';
import { createLedgerStore } from './data/ledger-store.ts';
import { checkSchema } from './data/migrations.ts';

await runService({
  name: 'transactions',
  loadConfig: loadTransactionsConfig,
  async start({ config, kit, register, listen }) {
    const pool = createPool({
      url: config.DATABASE_URL,
      password: config.DATABASE_PASSWORD,
      poolMax: config.DATABASE_POOL_MAX,
      connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
      queryTimeoutMs: config.DATABASE_QUERY_TIMEOUT_MS,
      applicationName: 'transactions',
    });
    // No connection is opened here: the process starts (and answers 503) while PostgreSQL is
    // down, and readiness says when it is usable.
    register({
      name: 'postgres',
      ready: async () => {
        await pool.query('SELECT 1');
      },
      close: () => pool.end(),
      errors: pool,
    });
    let migrated = false;
    kit.health.addCheck('schema', async () => {
      if (migrated) return; // a schema, once there, does not go away
      await checkSchema(pool);
      migrated = true;
    });

    const store = createLedgerStore(pool, {
      keyTtlHours: config.IDEMPOTENCY_KEY_TTL_HOURS,
      onRetry: (error) => kit.log.info({ err: error }, 'transaction retried'),
    });
    register(startKeySweeper({ store, log: kit.log }));

    await listen(createApp({ ...kit, store }), { port: config.PORT, host: config.HOST });
  },
});
