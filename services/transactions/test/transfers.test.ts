import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type AccountJson,
  type Answer,
  type Ledger,
  type ProblemJson,
  readInvariants,
  startLedger,
  type TransferJson,
} from './ledger.ts';

let ledger: Ledger;
beforeAll(async () => {
  ledger = await startLedger();
});
afterAll(() => ledger.close());

const transfer = (from: AccountJson, to: AccountJson, amount: number, extra = {}) => ({
  fromAccountId: from.id,
  toAccountId: to.id,
  amount,
  ...extra,
});

async function balanceOf(account: AccountJson): Promise<number> {
  return (await ledger.api.get<AccountJson>(`/accounts/${account.id}`)).body.balance;
}

describe('POST /transfers', () => {
  test('moves the amount as one debit and one credit entry', async () => {
    const from = await ledger.api.openAccount({ openingBalance: 1_000 });
    const to = await ledger.api.openAccount({ openingBalance: 0 });
    const answer = await ledger.api.post<TransferJson>(
      '/transfers',
      transfer(from, to, 300, { reference: 'rent' }),
    );
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ amount: 300, currency: 'EUR', reference: 'rent' });
    expect(answer.headers.get('location')).toBe(`/transfers/${answer.body.id}`);
    expect(await balanceOf(from)).toBe(700);
    expect(await balanceOf(to)).toBe(300);

    const debit = await ledger.api.get<{ entries: unknown[] }>(`/accounts/${from.id}/entries`);
    expect(debit.body.entries[0]).toMatchObject({
      kind: 'debit',
      amount: -300,
      balanceAfter: 700,
      transferId: answer.body.id,
    });
    const credit = await ledger.api.get<{ entries: unknown[] }>(`/accounts/${to.id}/entries`);
    expect(credit.body.entries[0]).toMatchObject({
      kind: 'credit',
      amount: 300,
      balanceAfter: 300,
    });
    expect(await readInvariants(ledger.db)).toMatchObject({
      negativeBalances: 0,
      balancesOffEntries: 0,
      unbalancedTransfers: 0,
    });
  });

  test('may empty an account to exactly zero', async () => {
    const from = await ledger.api.openAccount({ openingBalance: 50 });
    const to = await ledger.api.openAccount();
    expect((await ledger.api.post('/transfers', transfer(from, to, 50))).status).toBe(201);
    expect(await balanceOf(from)).toBe(0);
  });

  test('carries amounts up to 2^53 − 1 exactly', async () => {
    const max = Number.MAX_SAFE_INTEGER;
    const from = await ledger.api.openAccount({ openingBalance: max });
    const to = await ledger.api.openAccount({ openingBalance: 0 });
    expect((await ledger.api.post('/transfers', transfer(from, to, max))).status).toBe(201);
    expect(await balanceOf(to)).toBe(max);
  });

  describe('refuses with 422 and changes nothing', () => {
    test.each([
      ['insufficient_funds', 'amount', { openingBalance: 100 }, { openingBalance: 0 }, 101],
      ['currency_mismatch', 'toAccountId', { currency: 'EUR' }, { currency: 'USD' }, 1],
      ['balance_overflow', 'amount', {}, { openingBalance: Number.MAX_SAFE_INTEGER }, 1],
    ])('%s (naming %s)', async (code, field, fromOverrides, toOverrides, amount) => {
      const from = await ledger.api.openAccount(fromOverrides);
      const to = await ledger.api.openAccount(toOverrides);
      const answer = await ledger.api.post<ProblemJson>('/transfers', transfer(from, to, amount));
      expect(answer.status).toBe(422);
      expect(answer.type).toMatch(/^application\/problem\+json/);
      expect(answer.body.code).toBe(code);
      expect(answer.body.errors?.[0]?.field).toBe(field);
      expect(await balanceOf(from)).toBe(from.balance);
      expect(await balanceOf(to)).toBe(to.balance);
    });

    test('same_account', async () => {
      const account = await ledger.api.openAccount();
      const answer = await ledger.api.post<ProblemJson>(
        '/transfers',
        transfer(account, account, 1),
      );
      expect(answer.status).toBe(422);
      expect(answer.body.code).toBe('same_account');
    });

    test.each(['fromAccountId', 'toAccountId'])(
      'account_not_found for an unknown %s',
      async (side) => {
        const account = await ledger.api.openAccount();
        const body = {
          ...transfer(account, account, 1),
          [side]: '0f8fad5b-d9cb-469f-a165-70867728950e',
        };
        const answer = await ledger.api.post<ProblemJson>('/transfers', body);
        expect(answer.status).toBe(422);
        expect(answer.body.code).toBe('account_not_found');
        expect(answer.body.errors?.[0]?.field).toBe(side);
      },
    );
  });

  test.each([
    [{ amount: 0 }, 'amount'],
    [{ amount: -5 }, 'amount'],
    [{ amount: 0.5 }, 'amount'],
    [{ amount: 2 ** 53 }, 'amount'],
    [{ amount: '5' }, 'amount'],
    [{ fromAccountId: 'not-a-uuid' }, 'fromAccountId'],
    [{ toAccountId: undefined }, 'toAccountId'],
    [{ reference: 'x'.repeat(141) }, 'reference'],
    [{ note: 'hi' }, '(root)'],
  ])('refuses %j with 400 naming %s', async (overrides, field) => {
    const a = await ledger.api.openAccount();
    const b = await ledger.api.openAccount();
    const answer = await ledger.api.post<ProblemJson>('/transfers', {
      ...transfer(a, b, 1),
      ...overrides,
    });
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.map((e) => e.field)).toContain(field);
  });

  test('a body that is not JSON answers 400, one that is not application/json 415', async () => {
    const bad = await fetch(`${ledger.baseUrl}/transfers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'k-not-json' },
      body: '{"amount":',
    });
    expect(bad.status).toBe(400);
    const text = await fetch(`${ledger.baseUrl}/transfers`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'idempotency-key': 'k-text' },
      body: 'hello',
    });
    expect(text.status).toBe(415);
  });

  test('transfers in both directions between the same pair at once all commit (no deadlock)', async () => {
    const a = await ledger.api.openAccount({ openingBalance: 1_000 });
    const b = await ledger.api.openAccount({ openingBalance: 1_000 });
    // 40 transfers on one pair run one after another on its row locks, each holding one of
    // 10 connections while it waits: this app may wait long for a connection (the service's
    // 2 s answers 503 on a busy machine, which is overload, not the deadlock this looks for).
    const patient = await startLedger({ url: ledger.url, connectTimeoutMs: 60_000 });
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        patient.api.post('/transfers', i % 2 ? transfer(a, b, 7) : transfer(b, a, 5)),
      ),
    ).finally(() => patient.close());
    expect(answers.map((r) => r.status)).toEqual(Array(40).fill(201));
    expect((await balanceOf(a)) + (await balanceOf(b))).toBe(2_000);
    expect(await balanceOf(a)).toBe(1_000 - 20 * 7 + 20 * 5);
  });
});

describe('GET /transfers/{id}', () => {
  test('answers the transfer as it was created', async () => {
    const a = await ledger.api.openAccount();
    const b = await ledger.api.openAccount();
    const made = await ledger.api.post<TransferJson>('/transfers', transfer(a, b, 10));
    const read = await ledger.api.get<TransferJson>(`/transfers/${made.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(made.body);
  });

  test('an unknown id answers 404 transfer_not_found', async () => {
    const answer = await ledger.api.get<ProblemJson>(
      '/transfers/0f8fad5b-d9cb-469f-a165-70867728950e',
    );
    expect(answer.status).toBe(404);
    expect(answer.body.code).toBe('transfer_not_found');
  });
});

describe('paging', () => {
  test("an account's entries and transfers come newest first, page by page, each once", async () => {
    const a = await ledger.api.openAccount({ openingBalance: 1_000 });
    const b = await ledger.api.openAccount();
    const other = await ledger.api.openAccount();
    const made: string[] = [];
    for (let i = 1; i <= 7; i++) {
      const body = i % 3 === 0 ? transfer(b, a, 1) : transfer(a, b, i);
      made.push((await ledger.api.post<TransferJson>('/transfers', body)).body.id);
    }
    await ledger.api.post('/transfers', transfer(a, other, 1));

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `accountId=${b.id}&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page: Answer<{ transfers: TransferJson[]; nextCursor: string | null }> =
        await ledger.api.get(`/transfers?${query}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.transfers.map((t) => t.id));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(made.toReversed());
    expect(pages).toBe(3);

    const entries = await ledger.api.get<{ entries: { kind: string }[]; nextCursor: null }>(
      `/accounts/${a.id}/entries?limit=200`,
    );
    expect(entries.body.entries).toHaveLength(9);
    expect(entries.body.entries.at(-1)?.kind).toBe('opening');
    expect(entries.body.nextCursor).toBeNull();
  });

  test.each([
    'limit=0',
    'limit=201',
    'limit=ten',
    'cursor=bm90LWEtY3Vyc29y',
    'accountId=7',
    'sort=asc',
  ])('GET /transfers?%s answers 400', async (query) => {
    expect((await ledger.api.get(`/transfers?${query}`)).status).toBe(400);
  });

  test("an unknown account's entries answer 404", async () => {
    const answer = await ledger.api.get<ProblemJson>(
      '/accounts/0f8fad5b-d9cb-469f-a165-70867728950e/entries',
    );
    expect(answer.status).toBe(404);
  });
});
