import {
  baseConfigShape,
  byteSizeVar,
  ConfigError,
  intVar,
  loadConfig,
} from '@quadrants/service-kit';
import { z } from 'zod';
import { MAX_UNIT_PRICE } from './domain/basket.ts';

/** A redis:// or rediss:// (TLS) URL; the message never repeats it (it may hold a password). */
const redisUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      return ['redis:', 'rediss:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, 'expected a URL such as redis://host:6379/0');

export const configShape = {
  ...baseConfigShape,
  /** 8085 is basket's port when all five services run side by side on one machine. */
  PORT: intVar({ min: 0, max: 65_535 }).default(8085),
  /** A line is under a hundred bytes; 8 kB leaves room and refuses junk early. */
  BODY_LIMIT: byteSizeVar.default('8kb'),
  /**
   * Where baskets live. `redis`: a Redis-protocol server (any number of replicas share it).
   * `memory`: this process (one replica only; what `pnpm start` runs when REDIS_URL is unset).
   */
  BASKET_STORE: z.enum(['redis', 'memory']).default('redis'),
  /** The Redis-protocol server of the `redis` store; required with it. */
  REDIS_URL: redisUrl.optional(),
  /** Overrides the URL's password, so the URL can be plain config and the password a Secret. */
  REDIS_PASSWORD: z.string().optional(),
  /** How long to wait for a TCP connection to Redis before trying again. */
  REDIS_CONNECT_TIMEOUT_MS: intVar({ min: 100, max: 60_000 }).default(2_000),
  /**
   * Longest one command may take. It bounds a request's wait on a Redis that hangs (a paused
   * container, a partition); a refused connection fails at once. A command is well under 1 ms.
   */
  REDIS_COMMAND_TIMEOUT_MS: intVar({ min: 50, max: 60_000 }).default(1_000),
  /** Keys are `<prefix><basket id>`, so one Redis can hold other data beside baskets. */
  REDIS_KEY_PREFIX: z.string().max(64).default('basket:'),
  /** How long an untouched basket is kept; every write renews it. Seven days by default. */
  BASKET_IDLE_SECONDS: intVar({ min: 1, max: 365 * 24 * 3600 }).default(7 * 24 * 3600),
  /** Most different SKUs in one basket (422 too_many_lines beyond). */
  BASKET_MAX_LINES: intVar({ min: 1, max: 1_000 }).default(50),
  /** Most of one SKU in one basket (422 quantity_limit beyond). */
  BASKET_MAX_QUANTITY: intVar({ min: 1, max: 9_999 }).default(99),
  /**
   * Most baskets the `memory` store holds; past it a new basket is a 507. 10,000 full baskets
   * are a few tens of MB, within the process's memory.
   */
  MEMORY_MAX_BASKETS: intVar({ min: 1, max: 10_000_000 }).default(10_000),
};

export type Config = ReturnType<typeof loadBasketConfig>;

export function loadBasketConfig(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(configShape, env);
  const problems: string[] = [];
  if (config.BASKET_STORE === 'redis' && config.REDIS_URL === undefined) {
    problems.push(
      'REDIS_URL: is required with BASKET_STORE=redis (or set BASKET_STORE=memory for one replica)',
    );
  }
  // A subtotal must stay an exact JSON number: a full basket at the highest price may not pass
  // 2^53 − 1 (the defaults leave a factor of 1,800 to spare).
  const largest = config.BASKET_MAX_LINES * config.BASKET_MAX_QUANTITY * MAX_UNIT_PRICE;
  if (largest > Number.MAX_SAFE_INTEGER) {
    problems.push(
      `BASKET_MAX_LINES × BASKET_MAX_QUANTITY: at most ${Math.floor(Number.MAX_SAFE_INTEGER / MAX_UNIT_PRICE)} together ` +
        `(got ${config.BASKET_MAX_LINES} × ${config.BASKET_MAX_QUANTITY}), so that a full basket's subtotal stays exact`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
