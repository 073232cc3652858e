// The shop's accounts (seed/shop-accounts.json) and how they are put in place through the API.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from '@quadrants/service-kit';
import { z } from 'zod';

const reference = z.string().regex(/^[a-z0-9][a-z0-9:._-]{0,63}$/);
const minor = z.int().min(0).max(Number.MAX_SAFE_INTEGER);

export const ShopAccounts = z.strictObject({
  currency: z.string().regex(/^[A-Z]{3}$/),
  shop: z.strictObject({ reference, owner: z.string().min(1).max(200) }),
  shoppers: z
    .array(z.strictObject({ reference, owner: z.string().min(1).max(200), openingBalance: minor }))
    .min(1),
});
export type ShopAccounts = z.infer<typeof ShopAccounts>;

/** From src/seed/ and from dist/seed/ alike, the package's seed/ is two levels up. */
const accountsFile = new URL('../../seed/shop-accounts.json', import.meta.url);

export async function loadShopAccounts(file: URL = accountsFile): Promise<ShopAccounts> {
  return ShopAccounts.parse(JSON.parse(await readFile(file, 'utf8')));
}

export interface SeedOptions {
  baseUrl: string;
  accounts: ShopAccounts;
  /** Epoch ms after which it gives up. */
  deadline: number;
  log: Logger;
  /** Backoff between attempts: first and largest wait, in ms. */
  backoff?: { initialMs: number; maxMs: number };
}

export interface SeedOutcome {
  created: string[];
  existing: string[];
}

/** Thrown for an answer that retrying will not change (a 4xx other than 409/429). */
class Refused extends Error {}

/** Creates each missing account; answers which were created and which already existed. */
export async function seedShopAccounts(options: SeedOptions): Promise<SeedOutcome> {
  const { accounts } = options;
  const wanted = [
    { reference: accounts.shop.reference, owner: accounts.shop.owner, openingBalance: 0 },
    ...accounts.shoppers,
  ];
  const outcome: SeedOutcome = { created: [], existing: [] };
  for (const account of wanted) {
    const created = await withRetry(options, account.reference, () =>
      ensureAccount(options.baseUrl, { ...account, currency: accounts.currency }),
    );
    outcome[created ? 'created' : 'existing'].push(account.reference);
  }
  return outcome;
}

/** true when this call created it, false when it was there (or another seeder won the race). */
async function ensureAccount(
  baseUrl: string,
  account: { reference: string; owner: string; openingBalance: number; currency: string },
): Promise<boolean> {
  const signal = AbortSignal.timeout(10_000);
  const found = await fetch(
    new URL(`accounts?reference=${encodeURIComponent(account.reference)}`, withSlash(baseUrl)),
    { signal },
  );
  const list = await answer<{ accounts: unknown[] }>(found, `GET /accounts?reference=`);
  if (list.accounts.length > 0) return false;
  const res = await fetch(new URL('accounts', withSlash(baseUrl)), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify(account),
    signal,
  });
  if (res.status === 409) {
    const problem = (await res.json().catch(() => ({}))) as { code?: string };
    if (problem.code === 'account_reference_taken') return false;
    throw new Error(`POST /accounts answered 409 ${problem.code ?? ''}`.trim());
  }
  await answer(res, 'POST /accounts');
  return true;
}

async function answer<T>(res: Response, what: string): Promise<T> {
  const text = await res.text();
  if (res.ok) return JSON.parse(text) as T;
  const message = `${what} answered ${res.status}: ${text.slice(0, 300)}`;
  if (res.status >= 400 && res.status < 500 && res.status !== 429) throw new Refused(message);
  throw new Error(message);
}

async function withRetry<T>(options: SeedOptions, what: string, work: () => Promise<T>) {
  const { initialMs, maxMs } = options.backoff ?? { initialMs: 250, maxMs: 5_000 };
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (error instanceof Refused) throw error;
      const wait = Math.min(maxMs, initialMs * 2 ** attempt);
      if (Date.now() + wait > options.deadline) {
        throw new Error(`gave up on ${what} after ${attempt + 1} attempts`, { cause: error });
      }
      options.log.warn({ err: error, account: what, retryInMs: wait }, 'transactions not ready');
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

const withSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`);
