import { baseConfigShape, byteSizeVar, intVar, loadConfig } from '@quadrants/service-kit';
import { z } from 'zod';

/** A postgres:// or postgresql:// URL; the message never repeats it (it may hold a password). */
const databaseUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      return ['postgres:', 'postgresql:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, 'expected a URL such as postgres://user@host:5432/database');

export const configShape = {
  ...baseConfigShape,
  /** 8081 is transactions' port when all five services run side by side on one machine. */
  PORT: intVar({ min: 0, max: 65_535 }).default(8081),
  /** A transfer is a few hundred bytes; 16 kB leaves room and refuses junk early. */
  BODY_LIMIT: byteSizeVar.default('16kb'),
  /** Where the ledger lives. `pnpm start` sets it to an embedded PostgreSQL when it is unset. */
  DATABASE_URL: databaseUrl,
  /** Overrides the URL's password, so the URL can be plain config and the password a Secret. */
  DATABASE_PASSWORD: z.string().optional(),
  /**
   * Connections per process. Two replicas × 10 stays far below PostgreSQL's default of 100
   * max_connections; the embedded PGlite serves one at a time, so `pnpm start` sets 1.
   */
  DATABASE_POOL_MAX: intVar({ min: 1, max: 1_000 }).default(10),
  /**
   * How long to wait for a connection. When PostgreSQL is down a request answers 503 within
   * about this long, rather than hanging while clients time out.
   */
  DATABASE_CONNECT_TIMEOUT_MS: intVar({ min: 100, max: 60_000 }).default(2_000),
  /**
   * Longest one statement may run, both as PostgreSQL's statement_timeout and as the client's
   * own limit, which also covers a server that vanished without closing the connection.
   */
  DATABASE_QUERY_TIMEOUT_MS: intVar({ min: 100, max: 600_000 }).default(5_000),
  /** How long an Idempotency-Key is remembered; a key reused after that starts afresh. */
  IDEMPOTENCY_KEY_TTL_HOURS: intVar({ min: 1, max: 24 * 365 }).default(24),
};

export type Config = ReturnType<typeof loadTransactionsConfig>;

export function loadTransactionsConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(configShape, env);
}
