// The shop's seed, one shot: creates the accounts of ../seed/shop-accounts.json that are
// missing, through the API (it keeps nothing itself), and exits 0 once all of them exist, or 1
// when SEED_TIMEOUT_MS passes first. Safe to run twice and from two places at once: an account
// is found by its unique reference, and a second create of one answers 409
// account_reference_taken. Until the API answers (it may start with everything else) each
// account is retried with capped exponential backoff.
import {
  baseConfigShape,
  ConfigError,
  createLogger,
  intVar,
  loadConfig,
} from '@quadrants/service-kit';
import { z } from 'zod';
import { loadShopAccounts, seedShopAccounts } from './seed/shop.ts';

const configShape = {
  /** The API, e.g. http://transactions:80 (the Service) or http://127.0.0.1:8081. */
  TRANSACTIONS_URL: z.url({ protocol: /^https?$/ }),
  /** The whole run's budget, the API's first start included. */
  SEED_TIMEOUT_MS: intVar({ min: 1_000, max: 3_600_000 }).default(300_000),
  LOG_LEVEL: baseConfigShape.LOG_LEVEL,
};

let config: z.infer<z.ZodObject<typeof configShape>>;
try {
  config = loadConfig(configShape);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  createLogger({ service: 'transactions-seed-shop', level: 'info' }).fatal(
    { problems: error.problems },
    `invalid configuration: ${error.problems.join('; ')}`,
  );
  process.exit(1);
}

const log = createLogger({ service: 'transactions-seed-shop', level: config.LOG_LEVEL });
const started = Date.now();
try {
  const outcome = await seedShopAccounts({
    baseUrl: config.TRANSACTIONS_URL,
    accounts: await loadShopAccounts(),
    deadline: started + config.SEED_TIMEOUT_MS,
    log,
  });
  log.info({ ...outcome, ms: Date.now() - started }, 'shop accounts in place');
} catch (error) {
  log.fatal({ err: error }, 'shop seed failed');
  process.exitCode = 1;
}
