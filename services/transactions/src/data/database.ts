// The connection pool and what its failures mean: the only module that knows pg's errors.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

export interface DatabaseOptions {
  url: string;
  /** Replaces the URL's password when set (it comes from a Secret; the URL from plain config). */
  password?: string | undefined;
  poolMax: number;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  applicationName: string;
}

/** The URL with `password` put in, encoded as a URL needs it. */
export function connectionString(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  const parsed = new URL(url);
  parsed.password = encodeURIComponent(password);
  return parsed.href;
}

export function createPool(options: DatabaseOptions): pg.Pool {
  return new pg.Pool({
    connectionString: connectionString(options.url, options.password),
    max: options.poolMax,
    connectionTimeoutMillis: options.connectTimeoutMs,
    // PostgreSQL cancels a statement past this; the client gives up a little later, which also
    // ends a wait on a server that vanished without closing the connection (a killed node).
    statement_timeout: options.queryTimeoutMs,
    query_timeout: options.queryTimeoutMs + 1_000,
    // A half-open connection (the server's host is gone) is found by TCP keep-alive.
    keepAlive: true,
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName,
  });
}

/** SQLSTATEs that say the database cannot serve now, as opposed to a bug in a query. */
const UNAVAILABLE_STATES = new Set([
  '53300', // too_many_connections
  '57014', // query_canceled: statement_timeout
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up, shutting down, recovering
  '58000', // system_error
  '58030', // io_error
]);
const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);
// pg reports its own timeouts and lost connections as plain Errors with these messages.
const UNAVAILABLE_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|Query read timeout|not queryable|Client was closed/i;

/** True when `error` means PostgreSQL is unreachable, restarting or overloaded: answer 503. */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code } = error as { code?: unknown };
  if (typeof code === 'string') {
    if (code.startsWith('08') || UNAVAILABLE_STATES.has(code) || UNAVAILABLE_ERRNOS.has(code))
      return true;
  }
  if (error instanceof AggregateError) return error.errors.some(isUnavailable);
  return UNAVAILABLE_MESSAGES.test(error.message);
}

/** serialization_failure and deadlock_detected: the transaction may simply be run again. */
export function isRetryable(error: unknown): boolean {
  const { code } = (error ?? {}) as { code?: unknown };
  return code === '40001' || code === '40P01';
}

export interface RetryOptions {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetry: RetryOptions = { attempts: 5, baseDelayMs: 5, maxDelayMs: 200 };

/**
 * Runs `work` in a transaction on a client of its own, committing when it returns and rolling
 * back when it throws. A serialization failure or deadlock runs it again, up to
 * `retry.attempts` times in all, after a random wait of up to base × 2^attempt ("full
 * jitter"), so that clashing transactions do not clash again in step.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  retry: RetryOptions = defaultRetry,
  onRetry: (error: unknown) => void = () => {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken: Error | undefined;
    // The pool listens for 'error' only on idle clients. A connection lost while this one is
    // checked out (PostgreSQL killed mid-transaction) emits 'error' here, and an 'error' with
    // no listener would crash the process; the query in flight fails with it anyway.
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // The connection itself failed: the pool must not hand it out again.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      }
      if (!isRetryable(error) || attempt >= retry.attempts) throw error;
      onRetry(error);
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
    const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt);
    await sleep(Math.random() * ceiling);
  }
}
