import { fileURLToPath } from 'node:url';
import { createLogger } from '@quadrants/service-kit';
import { startServiceProcess } from '@quadrants/service-kit/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadShopAccounts, type ShopAccounts, seedShopAccounts } from '../src/seed/shop.ts';
import { type AccountJson, type Ledger, readInvariants, startLedger } from './ledger.ts';

const quiet = createLogger({ service: 'test', level: 'silent', pretty: false });
const seedEntry = fileURLToPath(new URL('../src/seed-shop.ts', import.meta.url));

let ledger: Ledger;
let shop: ShopAccounts;
beforeAll(async () => {
  ledger = await startLedger();
  shop = await loadShopAccounts();
});
afterAll(() => ledger.close());

const seed = (on: Ledger = ledger) =>
  seedShopAccounts({
    baseUrl: on.baseUrl,
    accounts: shop,
    deadline: Date.now() + 60_000,
    log: quiet,
  });

async function byReference(reference: string, on: Ledger = ledger): Promise<AccountJson[]> {
  const answer = await on.api.get<{ accounts: AccountJson[] }>(
    `/accounts?reference=${encodeURIComponent(reference)}`,
  );
  return answer.body.accounts;
}

describe('the shop seed', () => {
  test('creates the till and every shopper once, however often and however many run it', async () => {
    const fresh = await startLedger(); // a database of its own: nothing seeded yet
    try {
      const references = [shop.shop.reference, ...shop.shoppers.map((s) => s.reference)];
      // Three at once, then once more: every account exists exactly once.
      const runs = await Promise.all([seed(fresh), seed(fresh), seed(fresh)]);
      const created = runs.flatMap((run) => run.created).sort();
      expect(created).toEqual([...references].sort());
      expect(await seed(fresh)).toEqual({ created: [], existing: references });

      const till = await byReference(shop.shop.reference, fresh);
      expect(till).toMatchObject([{ owner: shop.shop.owner, balance: 0, currency: shop.currency }]);
      for (const shopper of shop.shoppers) {
        expect(await byReference(shopper.reference, fresh)).toMatchObject([
          { owner: shopper.owner, balance: shopper.openingBalance, currency: shop.currency },
        ]);
      }
      const invariants = await readInvariants(fresh.db);
      expect(invariants).toMatchObject({ accounts: references.length, balancesOffEntries: 0 });
    } finally {
      await fresh.close();
    }
  });

  test('never changes an account that exists', async () => {
    await seed();
    const [ada] = await byReference(shop.shoppers[0]?.reference ?? '');
    const [till] = await byReference(shop.shop.reference);
    if (!ada || !till) throw new Error('not seeded');
    await ledger.api.post('/transfers', {
      fromAccountId: ada.id,
      toAccountId: till.id,
      amount: 100,
    });
    await seed();
    expect((await byReference(ada.reference ?? ''))[0]?.balance).toBe(ada.balance - 100);
  });
});

describe('the one-shot process', () => {
  test('exits 0 and logs that the accounts are in place, then exits 0 creating none', async () => {
    const env = { TRANSACTIONS_URL: ledger.baseUrl, LOG_LEVEL: 'info' };
    const first = startServiceProcess(seedEntry, env);
    expect(await first.exited).toBe(0);
    expect(first.lines.at(-1)).toMatchObject({ msg: 'shop accounts in place' });
    const second = startServiceProcess(seedEntry, env);
    expect(await second.exited).toBe(0);
    expect(second.lines.at(-1)).toMatchObject({ msg: 'shop accounts in place', created: [] });
  });

  test('exits 1 with a fatal line when the API never answers within SEED_TIMEOUT_MS', async () => {
    const run = startServiceProcess(seedEntry, {
      // Port 1 on loopback: refused at once, every time.
      TRANSACTIONS_URL: 'http://127.0.0.1:1',
      SEED_TIMEOUT_MS: '2000',
    });
    expect(await run.exited).toBe(1);
    expect(run.lines.some((line) => line.msg === 'transactions not ready')).toBe(true);
    expect(run.lines.at(-1)).toMatchObject({ level: 60, msg: 'shop seed failed' });
  });

  test('exits 1 naming the variable when TRANSACTIONS_URL is missing or not http', async () => {
    for (const TRANSACTIONS_URL of ['', 'ftp://example']) {
      const run = startServiceProcess(seedEntry, { TRANSACTIONS_URL });
      expect(await run.exited).toBe(1);
      expect(run.lines.at(-1)?.msg).toMatch(/TRANSACTIONS_URL/);
    }
  });
});
