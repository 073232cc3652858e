// The `memory` store: baskets in this process's own memory, the purest quadrant D. It is what
// `pnpm start` runs when no REDIS_URL is given, so the service works with nothing else installed.
// It serves ONE replica only: a second process would have baskets of its own, and a shopper
// balanced between the two would see theirs come and go. A restart loses every basket.
// Each method runs without an await between its read and its write, so on Node's one thread it
// is as atomic as a Lua script is in Redis.
import {
  applyChange,
  type BasketLimits,
  BasketNotFound,
  emptyBasket,
  type StoredBasket,
  StoreFull,
  satisfies,
  VersionMismatch,
} from '../domain/basket.ts';
import { type BasketStore, newBasketId, parseStored } from './basket-store.ts';

export interface MemoryStoreOptions {
  idleMs: number;
  limits: BasketLimits;
  /** Most baskets held at once; past it a new basket is refused (507), as Redis' noeviction does. */
  maxBaskets: number;
  /** The clock expiry is measured on; tests move it. */
  clock?: () => number;
}

export interface MemoryBasketStore extends BasketStore {
  /** Forgets expired baskets; runs on a timer too (see startMemorySweeper). */
  sweep(): number;
  readonly size: number;
}

interface Entry {
  /** Kept as JSON, as Redis keeps it: a caller can never change a stored basket by accident. */
  json: string;
  expiresAt: number;
}

export function createMemoryBasketStore(options: MemoryStoreOptions): MemoryBasketStore {
  const baskets = new Map<string, Entry>();
  const clock = options.clock ?? Date.now;

  function live(id: string): StoredBasket | undefined {
    const entry = baskets.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= clock()) {
      baskets.delete(id);
      return undefined;
    }
    return parseStored(entry.json);
  }

  function put(id: string, basket: StoredBasket) {
    baskets.set(id, { json: JSON.stringify(basket), expiresAt: clock() + options.idleMs });
  }

  function sweep() {
    const now = clock();
    let swept = 0;
    for (const [id, entry] of baskets) {
      if (entry.expiresAt <= now) {
        baskets.delete(id);
        swept += 1;
      }
    }
    return swept;
  }

  return {
    async create(now) {
      if (baskets.size >= options.maxBaskets) sweep();
      if (baskets.size >= options.maxBaskets) throw new StoreFull();
      const id = newBasketId();
      const basket = emptyBasket(now);
      put(id, basket);
      return { id, basket };
    },

    async get(id) {
      return live(id);
    },

    async change(id, change, { precondition, now }) {
      const basket = live(id);
      if (!basket) throw new BasketNotFound(id);
      if (!satisfies(basket, precondition)) throw new VersionMismatch(basket.version);
      const changed = applyChange(basket, change, options.limits, now);
      put(id, changed);
      return changed;
    },

    async remove(id, { precondition }) {
      const basket = live(id);
      if (!basket) throw new BasketNotFound(id);
      if (!satisfies(basket, precondition)) throw new VersionMismatch(basket.version);
      baskets.delete(id);
    },

    sweep,
    get size() {
      return baskets.size;
    },
  };
}

/** Sweeps expired baskets every `intervalMs`, as a resource main.ts registers (and closes). */
export function startMemorySweeper(store: MemoryBasketStore, intervalMs = 60_000) {
  const timer = setInterval(() => store.sweep(), intervalMs);
  timer.unref();
  return { name: 'memory-sweeper', close: async () => clearInterval(timer) };
}
