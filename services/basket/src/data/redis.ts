// The ioredis client, set up to fail fast rather than wait: while Redis is unreachable a command
// is refused at once (no offline queue) or within commandTimeoutMs (a server that hangs), so a
// request answers 503 in bounded time; the client reconnects by itself, forever, with backoff.
import { Redis } from 'ioredis';

export interface RedisClientOptions {
  url: string;
  /** Overrides the URL's password, so the URL can be plain config and the password a Secret. */
  password?: string | undefined;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
}

/** Longest wait between reconnection attempts: an outage is noticed soon after it ends. */
const MAX_RECONNECT_DELAY_MS = 2_000;

export function createRedisClient(options: RedisClientOptions): Redis {
  return new Redis(options.url, {
    ...(options.password === undefined ? {} : { password: options.password }),
    connectionName: 'basket',
    connectTimeout: options.connectTimeoutMs,
    commandTimeout: options.commandTimeoutMs,
    // A command sent while disconnected fails at once instead of queueing until Redis returns.
    enableOfflineQueue: false,
    // A command whose reply was lost with the connection is not sent again on reconnect: it may
    // have run, and adding a line twice would be wrong. The client gets a 503 and decides
    // (If-Match makes the retry safe).
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    // Full jitter, so that every replica does not reconnect in the same millisecond.
    retryStrategy: (attempt) =>
      Math.round(Math.random() * Math.min(MAX_RECONNECT_DELAY_MS, 50 * 2 ** attempt)),
    // Commands issued in the same tick go out as one write: fewer syscalls under load.
    enableAutoPipelining: true,
  });
}

/**
 * The client as a resource for the kit: its readiness check (a PING, bounded by the command
 * timeout), its close, and its 'error' events, which the kit logs instead of crashing on.
 */
export function redisResource(redis: Redis) {
  return {
    name: 'redis',
    ready: async () => {
      await redis.ping();
    },
    close: () => closeRedisClient(redis),
    errors: redis,
  };
}

/** Closes politely (QUIT waits for replies in flight), or at once when Redis is not there. */
export async function closeRedisClient(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    try {
      await redis.quit();
      return;
    } catch {
      // fall through: the connection went away while quitting
    }
  }
  redis.disconnect();
}
