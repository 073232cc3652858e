// The `redis` store: one string key per basket holding its JSON, with the idle expiry as the
// key's time to live, so Redis itself forgets abandoned baskets. Every change is one Lua script
// (data/basket-scripts.ts), a single atomic command. With persistence off (the base setup) a
// Redis restart loses every basket — quadrant D's trade-off, which the e2e suite shows.
import type { Redis } from 'ioredis';
import {
  type BasketChange,
  type BasketLimits,
  BasketNotFound,
  emptyBasket,
  LineNotFound,
  type Precondition,
  type RefusalCode,
  refusal,
  type StoredBasket,
  StoreFull,
  StoreUnavailable,
  VersionMismatch,
} from '../domain/basket.ts';
import { basketScripts, changeArgs, preconditionArg, type Script } from './basket-scripts.ts';
import { type BasketStore, newBasketId, parseStored } from './basket-store.ts';

export interface RedisStoreOptions {
  keyPrefix: string;
  idleMs: number;
  limits: BasketLimits;
}

type ScriptReply = [string, string?];

/**
 * Redis answered with an error of its own. Only two mean trouble with the store rather than a
 * bug here: OOM (maxmemory reached under noeviction) and the states of a server that is starting
 * or shutting down.
 */
function translate(error: unknown): unknown {
  const message = error instanceof Error ? error.message : '';
  if (message.startsWith('OOM ')) return new StoreFull({ cause: error });
  if (error instanceof Error && error.name === 'ReplyError') {
    return /^(LOADING|BUSY|MASTERDOWN|NOAUTH|WRONGPASS|READONLY) /.test(message)
      ? new StoreUnavailable({ cause: error })
      : error;
  }
  // Anything else from the client is the connection: refused, closed, or timed out.
  return error instanceof Error && !(error instanceof TypeError)
    ? new StoreUnavailable({ cause: error })
    : error;
}

export function createRedisBasketStore(redis: Redis, options: RedisStoreOptions): BasketStore {
  const key = (id: string) => `${options.keyPrefix}${id}`;

  /**
   * EVALSHA, and EVAL when Redis does not have the script (a restarted server has an empty
   * script cache); Redis then caches it, so the next call is an EVALSHA that succeeds.
   */
  async function run(script: Script, id: string, args: (string | number)[]) {
    try {
      try {
        return (await redis.evalsha(script.sha, 1, key(id), ...args)) as ScriptReply;
      } catch (error) {
        if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
        return (await redis.eval(script.lua, 1, key(id), ...args)) as ScriptReply;
      }
    } catch (error) {
      throw translate(error);
    }
  }

  /** A script's reply as the store's answer, or the domain error it stands for. */
  function outcome(id: string, sku: string | undefined, [status, value]: ScriptReply) {
    switch (status) {
      case 'ok':
        return value;
      case 'not_found':
        throw new BasketNotFound(id);
      case 'version_mismatch':
        throw new VersionMismatch(Number(value));
      case 'line_not_found':
        throw new LineNotFound(sku ?? '');
      case 'refused':
        throw refusal(value as RefusalCode, options.limits);
      default:
        throw new Error(`unexpected reply from a basket script: ${status}`);
    }
  }

  return {
    async create(now) {
      const basket = emptyBasket(now);
      const id = newBasketId();
      let created: string | null;
      try {
        // NX: a fresh id is 128 random bits, so it never collides; NX makes sure of it.
        created = await redis.set(key(id), JSON.stringify(basket), 'PX', options.idleMs, 'NX');
      } catch (error) {
        throw translate(error);
      }
      if (created !== 'OK') throw new Error('a new basket id was already taken');
      return { id, basket };
    },

    async get(id) {
      let json: string | null;
      try {
        json = await redis.get(key(id));
      } catch (error) {
        throw translate(error);
      }
      return json === null ? undefined : parseStored(json);
    },

    async change(id: string, change: BasketChange, { precondition, now }): Promise<StoredBasket> {
      const args = changeArgs(change, {
        ...(precondition === undefined ? {} : { precondition }),
        now,
        idleMs: options.idleMs,
        limits: options.limits,
      });
      const reply = await run(basketScripts[change.kind], id, args);
      return parseStored(outcome(id, 'sku' in change ? change.sku : undefined, reply) ?? '');
    },

    async remove(id: string, { precondition }: { precondition?: Precondition }) {
      outcome(id, undefined, await run(basketScripts.remove, id, [preconditionArg(precondition)]));
    },
  };
}
