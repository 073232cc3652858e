import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type AccountJson,
  anAccount,
  type Ledger,
  type ProblemJson,
  readInvariants,
  startLedger,
} from './ledger.ts';

let ledger: Ledger;
beforeAll(async () => {
  ledger = await startLedger();
});
afterAll(() => ledger.close());

describe('POST /accounts', () => {
  test('opens an account with its opening balance as its first entry', async () => {
    const answer = await ledger.api.post<AccountJson>(
      '/accounts',
      anAccount({ openingBalance: 2_500 }),
    );
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ owner: 'Ada Lovelace', currency: 'EUR', balance: 2_500 });
    expect(answer.headers.get('location')).toBe(`/accounts/${answer.body.id}`);

    const entries = await ledger.api.get<{ entries: { kind: string; amount: number }[] }>(
      `/accounts/${answer.body.id}/entries`,
    );
    expect(entries.body.entries).toMatchObject([
      { kind: 'opening', amount: 2_500, balanceAfter: 2_500 },
    ]);
  });

  test('without an opening balance, opens at zero', async () => {
    const { openingBalance: _, ...body } = anAccount();
    const answer = await ledger.api.post<AccountJson>('/accounts', body);
    expect(answer.status).toBe(201);
    expect(answer.body.balance).toBe(0);
  });

  test.each([
    [{ currency: 'eur' }, 'currency'],
    [{ currency: 'XYZ' }, 'currency'],
    [{ owner: '' }, 'owner'],
    [{ owner: 'x'.repeat(201) }, 'owner'],
    [{ openingBalance: -1 }, 'openingBalance'],
    [{ openingBalance: 1.5 }, 'openingBalance'],
    [{ openingBalance: 2 ** 53 }, 'openingBalance'],
    [{ openingBalance: '10' }, 'openingBalance'],
    [{ colour: 'red' }, '(root)'],
  ])('refuses %j with 400 naming %s, and stores nothing', async (overrides, field) => {
    const before = await readInvariants(ledger.db);
    const answer = await ledger.api.post<ProblemJson>('/accounts', {
      ...anAccount(),
      ...overrides,
    });
    expect(answer.status).toBe(400);
    expect(answer.type).toMatch(/^application\/problem\+json/);
    expect(answer.body.errors?.map((e) => e.field)).toContain(field);
    expect((await readInvariants(ledger.db)).accounts).toBe(before.accounts);
  });

  test('the same key and body open one account, and the repeat replays the first answer', async () => {
    const key = `open-${Date.now()}`;
    const first = await ledger.api.post<AccountJson>('/accounts', anAccount(), key);
    const again = await ledger.api.post<AccountJson>('/accounts', anAccount(), key);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    const { rows } = await ledger.db.query(
      'SELECT count(*)::int AS n FROM accounts WHERE id = $1',
      [first.body.id],
    );
    expect(rows[0].n).toBe(1);
  });
});

describe('GET /accounts/{id}', () => {
  test('answers the account', async () => {
    const account = await ledger.api.openAccount({ currency: 'JPY', openingBalance: 500 });
    const answer = await ledger.api.get<AccountJson>(`/accounts/${account.id}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(account);
  });

  test('an unknown id answers 404 account_not_found', async () => {
    const answer = await ledger.api.get<ProblemJson>(
      '/accounts/2b0c4f6e-8a4d-4c1e-9f7a-3d5b6c7e8f90',
    );
    expect(answer.status).toBe(404);
    expect(answer.body.code).toBe('account_not_found');
  });

  test('an id that is not a UUID answers 400 naming it', async () => {
    const answer = await ledger.api.get<ProblemJson>('/accounts/42');
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([{ field: 'path.id', detail: expect.any(String) }]);
  });
});
