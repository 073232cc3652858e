import { randomUUID } from 'node:crypto';
import http from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type AccountJson,
  freshDatabase,
  type Ledger,
  type ProblemJson,
  startLedger,
  type TransferJson,
} from './ledger.ts';

let url: string;
let ledger: Ledger;
let from: AccountJson;
let to: AccountJson;
beforeAll(async () => {
  url = await freshDatabase();
  ledger = await startLedger({ url });
  from = await ledger.api.openAccount({ openingBalance: 1_000_000 });
  to = await ledger.api.openAccount({ openingBalance: 0 });
});
afterAll(() => ledger.close());

const body = (amount = 10) => ({ fromAccountId: from.id, toAccountId: to.id, amount });

async function transfersWith(amount: number): Promise<number> {
  const { rows } = await ledger.db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM transfers WHERE amount = $1',
    [amount],
  );
  return rows[0]?.n ?? -1;
}

describe('Idempotency-Key on POST /transfers', () => {
  test('a POST without the header answers 400 naming it, and moves nothing', async () => {
    const answer = await ledger.api.post<ProblemJson>('/transfers', body(11), null);
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('idempotency_key_missing');
    expect(answer.body.errors).toEqual([{ field: 'Idempotency-Key', detail: 'is missing' }]);
    expect(await transfersWith(11)).toBe(0);
  });

  test.each([
    ['too long', 'k'.repeat(256)],
    ['with a space', 'two words'],
    ['not ASCII', 'cl\u00e9'],
  ])('a key %s answers 400 idempotency_key_invalid', async (_, key) => {
    // node:http, not fetch: fetch would refuse some of these keys before sending them.
    const { status, text } = await new Promise<{ status: number; text: string }>(
      (resolve, reject) => {
        const payload = JSON.stringify(body(12));
        const req = http.request(`${ledger.baseUrl}/transfers`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
        });
        req.on('response', async (res) => {
          let text = '';
          for await (const chunk of res) text += chunk;
          resolve({ status: res.statusCode ?? 0, text });
        });
        req.on('error', reject);
        req.end(payload);
      },
    );
    expect(status).toBe(400);
    expect((JSON.parse(text) as ProblemJson).code).toBe('idempotency_key_invalid');
    expect(await transfersWith(12)).toBe(0);
  });

  test('the same key and body replay the stored answer: status, body and Location', async () => {
    const key = randomUUID();
    const first = await ledger.api.post<TransferJson>('/transfers', body(13), key);
    const again = await ledger.api.post<TransferJson>('/transfers', body(13), key);
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await transfersWith(13)).toBe(1);
  });

  test('the same body spelt differently (member order, spacing) is the same request', async () => {
    const key = randomUUID();
    const first = await ledger.api.post('/transfers', body(14), key);
    const reordered = await fetch(`${ledger.baseUrl}/transfers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: `{ "amount": 14, "toAccountId": "${to.id}",\n "fromAccountId": "${from.id}" }`,
    });
    expect(first.status).toBe(201);
    expect(reordered.status).toBe(201);
    expect(reordered.headers.get('idempotent-replayed')).toBe('true');
  });

  test('the same key with another body answers 422 idempotency_key_reused', async () => {
    const key = randomUUID();
    await ledger.api.post('/transfers', body(15), key);
    const other = await ledger.api.post<ProblemJson>('/transfers', body(16), key);
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency_key_reused');
    expect(await transfersWith(16)).toBe(0);
  });

  test('the same key while the first request still runs answers 409 with Retry-After', async () => {
    const key = randomUUID();
    // Hold the key's lock as a running request would (the lock claimKeySql tries to take).
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query("SELECT pg_advisory_lock(hashtextextended($1 || ' ' || $2, 0))", [
        'POST /transfers',
        key,
      ]);
      const busy = await ledger.api.post<ProblemJson>('/transfers', body(17), key);
      expect(busy.status).toBe(409);
      expect(busy.body.code).toBe('idempotency_key_in_use');
      expect(busy.headers.get('retry-after')).toBe('1');
      expect(await transfersWith(17)).toBe(0);
    } finally {
      await holder.end();
    }
    const later = await ledger.api.post('/transfers', body(17), key);
    expect(later.status).toBe(201);
  });

  test('many copies of one request at once make one transfer; the others replay or answer 409', async () => {
    const key = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => ledger.api.post<TransferJson>('/transfers', body(18), key)),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s !== 201 && s !== 409)).toEqual([]);
    const fresh = answers.filter((a) => a.status === 201 && !a.headers.get('idempotent-replayed'));
    expect(fresh).toHaveLength(1);
    expect(await transfersWith(18)).toBe(1);
  });

  test('a refused transfer is stored too: its key replays the 422, even once funds arrive', async () => {
    const poor = await ledger.api.openAccount({ openingBalance: 5 });
    const key = randomUUID();
    const request = { fromAccountId: poor.id, toAccountId: to.id, amount: 19 };
    const refused = await ledger.api.post<ProblemJson>('/transfers', request, key);
    expect(refused.body.code).toBe('insufficient_funds');
    await ledger.api.post('/transfers', {
      fromAccountId: from.id,
      toAccountId: poor.id,
      amount: 100,
    });
    const replay = await ledger.api.post<ProblemJson>('/transfers', request, key);
    expect(replay.status).toBe(422);
    expect(replay.body).toEqual(refused.body);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });

  test('a key is scoped to its route: the same key on POST /accounts is another key', async () => {
    const key = randomUUID();
    expect((await ledger.api.post('/transfers', body(20), key)).status).toBe(201);
    const account = await ledger.api.post('/accounts', { owner: 'Grace', currency: 'EUR' }, key);
    expect(account.status).toBe(201);
    expect(account.headers.get('idempotent-replayed')).toBeNull();
  });

  test('an expired key is forgotten: the request is carried out again', async () => {
    const key = randomUUID();
    await ledger.api.post('/transfers', body(21), key);
    await ledger.db.query(
      "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1",
      [key],
    );
    const again = await ledger.api.post('/transfers', body(21), key);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(await transfersWith(21)).toBe(2);
    const { rows } = await ledger.db.query(
      "SELECT expires_at > now() + interval '23 hours' AS fresh FROM idempotency_keys WHERE key = $1",
      [key],
    );
    expect(rows).toEqual([{ fresh: true }]);
  });

  test('a replay works from another replica, and after a restart', async () => {
    const key = randomUUID();
    const first = await ledger.api.post<TransferJson>('/transfers', body(22), key);
    const replica = await startLedger({ url });
    try {
      const replay = await replica.api.post<TransferJson>('/transfers', body(22), key);
      expect(replay.status).toBe(201);
      expect(replay.body).toEqual(first.body);
    } finally {
      await replica.close();
    }
    expect(await transfersWith(22)).toBe(1);
  });
});

describe('the key sweeper', () => {
  test('deletes expired keys and keeps live ones', async () => {
    const live = randomUUID();
    const dead = randomUUID();
    await ledger.api.post('/transfers', body(23), live);
    await ledger.api.post('/transfers', body(24), dead);
    await ledger.db.query(
      "UPDATE idempotency_keys SET expires_at = now() - interval '1 hour' WHERE key = $1",
      [dead],
    );
    const { createLedgerStore } = await import('../src/data/ledger-store.ts');
    const store = createLedgerStore(ledger.db, { keyTtlHours: 24 });
    expect(await store.purgeExpiredKeys(1_000)).toBeGreaterThanOrEqual(1);
    const { rows } = await ledger.db.query<{ key: string }>(
      'SELECT key FROM idempotency_keys WHERE key = ANY($1)',
      [[live, dead]],
    );
    expect(rows.map((r) => r.key)).toEqual([live]);
  });
});
