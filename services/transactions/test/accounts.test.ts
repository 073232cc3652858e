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

describe('account references', () => {
  const unique = (name: string) => `test:${name}-${process.hrtime.bigint()}`;

  test('an account opened with a reference is found by it', async () => {
    const reference = unique('ada');
    const opened = await ledger.api.post<AccountJson>('/accounts', anAccount({ reference }));
    expect(opened.status).toBe(201);
    expect(opened.body.reference).toBe(reference);

    const found = await ledger.api.get<{ accounts: AccountJson[] }>(
      `/accounts?reference=${encodeURIComponent(reference)}`,
    );
    expect(found.status).toBe(200);
    expect(found.body).toEqual({ accounts: [opened.body] });
  });

  test('an account without one has reference null, and an unknown reference finds none', async () => {
    expect((await ledger.api.openAccount()).reference).toBeNull();
    const found = await ledger.api.get<{ accounts: AccountJson[] }>(
      `/accounts?reference=${unique('nobody')}`,
    );
    expect(found.body).toEqual({ accounts: [] });
  });

  test('a taken reference answers 409 account_reference_taken naming the holder, and opens nothing', async () => {
    const reference = unique('alan');
    const first = await ledger.api.post<AccountJson>('/accounts', anAccount({ reference }));
    const before = await readInvariants(ledger.db);
    const again = await ledger.api.post<ProblemJson>(
      '/accounts',
      anAccount({ reference, owner: 'Someone Else', openingBalance: 7 }),
    );
    expect(again.status).toBe(409);
    expect(again.type).toMatch(/^application\/problem\+json/);
    expect(again.body.code).toBe('account_reference_taken');
    expect(again.headers.get('location')).toBe(`/accounts/${first.body.id}`);
    expect(await readInvariants(ledger.db)).toEqual(before);
  });

  test('eight concurrent opens of one reference open exactly one account', async () => {
    const reference = unique('race');
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        ledger.api.post<AccountJson>('/accounts', anAccount({ reference, openingBalance: 100 })),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    const { rows } = await ledger.db.query<{ n: number; entries: number }>(
      `SELECT count(*)::int AS n,
              (SELECT count(*)::int FROM entries e JOIN accounts a ON a.id = e.account_id
                WHERE a.reference = $1) AS entries
         FROM accounts WHERE reference = $1`,
      [reference],
    );
    expect(rows[0]).toEqual({ n: 1, entries: 1 });
    expect((await readInvariants(ledger.db)).balancesOffEntries).toBe(0);
  });

  test.each([
    ['Shop:Ada', 'capitals'],
    ['-ada', 'a leading dash'],
    ['ada lovelace', 'a space'],
    ['x'.repeat(65), '65 characters'],
    ['', 'nothing'],
  ])(
    'refuses the reference %j (%s) with 400 naming it, when opening and when finding',
    async (reference) => {
      const open = await ledger.api.post<ProblemJson>('/accounts', anAccount({ reference }));
      expect(open.status).toBe(400);
      expect(open.body.errors?.map((e) => e.field)).toContain('reference');
      const find = await ledger.api.get<ProblemJson>(
        `/accounts?reference=${encodeURIComponent(reference)}`,
      );
      expect(find.status).toBe(400);
      expect(find.body.errors?.map((e) => e.field)).toContain('reference');
    },
  );

  test('GET /accounts without a reference answers 400 naming it', async () => {
    const answer = await ledger.api.get<ProblemJson>('/accounts');
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.map((e) => e.field)).toContain('reference');
  });
});
