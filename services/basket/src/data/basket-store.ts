// The one interface both stores keep, chosen by BASKET_STORE: `redis` (data/redis-store.ts) and
// `memory` (data/memory-store.ts). Each method is one atomic step in the store: there is no
// read-modify-write in the service, so two replicas changing one basket never lose an update.
import { randomBytes } from 'node:crypto';
import type { BasketChange, Precondition, StoredBasket } from '../domain/basket.ts';

export interface BasketStore {
  /** A new, empty basket under a fresh random id. Throws StoreFull when the store takes no more. */
  create(now: number): Promise<{ id: string; basket: StoredBasket }>;
  /** The basket, or undefined when there is none (never was, expired, or lost with the store). */
  get(id: string): Promise<StoredBasket | undefined>;
  /**
   * Applies `change` if `precondition` holds, renews the idle expiry and answers the new basket.
   * Throws BasketNotFound, VersionMismatch, BasketRefused, LineNotFound, StoreFull or
   * StoreUnavailable; on a throw nothing changed, except that after StoreUnavailable the change
   * may or may not have been applied (the reply was lost), which If-Match makes safe to retry.
   */
  change(
    id: string,
    change: BasketChange,
    options: { precondition?: Precondition; now: number },
  ): Promise<StoredBasket>;
  /** Deletes the basket if `precondition` holds; throws BasketNotFound or VersionMismatch. */
  remove(id: string, options: { precondition?: Precondition }): Promise<void>;
}

/** 16 random bytes as base64url: 22 characters that are safe in a URL and impossible to guess. */
export function newBasketId(): string {
  return randomBytes(16).toString('base64url');
}

/** What newBasketId makes; anything else cannot name a basket, and is answered as one not found. */
export const BASKET_ID = /^[A-Za-z0-9_-]{22}$/;

/** Parses a stored basket, either store's JSON (Lua's cjson writes an empty array as {}). */
export function parseStored(json: string): StoredBasket {
  const basket = JSON.parse(json) as StoredBasket;
  if (!Array.isArray(basket.lines)) basket.lines = [];
  return basket;
}
