import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, type TestContext, test } from 'vitest';
import { type Driver, selectTarget } from '../src/targets/index.ts';

// Created at load time, not in a hook, so that which tests exist can depend on what the driver
// can do (only kind has a StatefulSet to delete). A driver does nothing until it is asked.
const driver: Driver = selectTarget().driver(inject('targetState'));
afterAll(() => driver.close());

interface Answer {
  status: number;
  body: Record<string, unknown>;
  replayed: boolean;
}

interface Transfer {
  id: string;
  fromAccountId: string;
  toAccountId: string;
  amount: number;
}

interface Counts {
  /** Attempts after a first one: a network error, a 503 or a 409 from a key still running. */
  retried: number;
  /** Answers that carried Idempotent-Replayed: true. */
  replayed: number;
}

/** A failure after which the same request may be sent again with the same key. */
const isTransient = (error: unknown) =>
  error instanceof TypeError || (error as Error).name === 'TimeoutError';

async function send(url: string, method: string, path: string, key?: string, body?: object) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(key ? { 'idempotency-key': key } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    replayed: response.headers.get('idempotent-replayed') === 'true',
  };
}

/**
 * POSTs `body` under `key` until an answer is final, as a careful client does: a network error,
 * a timeout, a 503 (PostgreSQL unreachable) or a 409 (the same key still running) is sent
 * again with the same key, to the next replica in `order`. Bounded by a deadline.
 */
async function postUntilFinal(
  order: string[],
  path: string,
  key: string,
  body: object,
  counts: Counts = { retried: 0, replayed: 0 },
): Promise<Answer> {
  const deadline = Date.now() + 60_000;
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0) counts.retried++;
    const url = order[attempt % order.length] ?? order[0] ?? '';
    let lastProblem: string;
    try {
      const answer = await send(url, 'POST', path, key, body);
      if (answer.status !== 503 && answer.status !== 409) {
        if (answer.replayed) counts.replayed++;
        return answer;
      }
      lastProblem = `${answer.status} ${answer.body.code}`;
    } catch (error) {
      if (!isTransient(error)) throw error;
      lastProblem = (error as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(`POST ${path} (key ${key}) got no final answer: last ${lastProblem}`);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 100 * (attempt + 1))));
  }
}

async function get(url: string, path: string) {
  const answer = await send(url, 'GET', path);
  expect(answer.status, `GET ${path}`).toBe(200);
  return answer.body;
}

async function openAccounts(url: string, count: number, openingBalance: number) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const body = { owner: `e2e ${i}`, currency: 'EUR', openingBalance };
    const answer = await postUntilFinal([url], '/accounts', randomUUID(), body);
    expect(answer.status).toBe(201);
    ids.push(String(answer.body.id));
  }
  return ids;
}

const balanceOf = async (url: string, id: string) =>
  Number((await get(url, `/accounts/${id}`)).balance);

/** Every transfer from or to `accountId`, page by page. */
async function transfersOf(url: string, accountId: string): Promise<Transfer[]> {
  const all: Transfer[] = [];
  let cursor: string | null = null;
  do {
    const query = `accountId=${accountId}&limit=200${cursor ? `&cursor=${cursor}` : ''}`;
    const page = (await get(url, `/transfers?${query}`)) as {
      transfers: Transfer[];
      nextCursor: string | null;
    };
    all.push(...page.transfers);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

/** The balances `transfers` leave when each is applied exactly once. */
function expectedBalances(accounts: string[], opening: number, transfers: Transfer[]) {
  const balances = new Map(accounts.map((id) => [id, opening]));
  for (const t of transfers) {
    balances.set(t.fromAccountId, (balances.get(t.fromAccountId) ?? 0) - t.amount);
    balances.set(t.toAccountId, (balances.get(t.toAccountId) ?? 0) + t.amount);
  }
  return balances;
}

/**
 * Skips a test this target cannot run (the local target without Docker, or with DATABASE_URL
 * for a store restart), naming why; under CI=true it fails instead, since CI must never pass by
 * skipping what it was meant to prove.
 */
function need(context: TestContext, what: 'service' | 'store') {
  const reason = driver.unsupported('transactions', what);
  if (!reason) return;
  if (process.env.CI === 'true') throw new Error(`${reason} (under CI=true this fails)`);
  // The default reporter counts skipped tests without their notes; the reason is worth a line.
  console.log(`skipped: ${reason}`);
  context.skip(reason);
}

/** Makes transfers, runs `fault`, and checks that every one of them is still there. */
async function transfersSurvive(fault: () => Promise<void>) {
  const url = await driver.entryUrl('transactions');
  const opening = 10_000;
  const accounts = await openAccounts(url, 2, opening);
  const made: Transfer[] = [];
  for (let i = 0; i < 20; i++) {
    const [from, to] = i % 3 === 0 ? [accounts[1], accounts[0]] : [accounts[0], accounts[1]];
    const body = { fromAccountId: from, toAccountId: to, amount: i + 1, reference: `before ${i}` };
    const answer = await postUntilFinal([url], '/transfers', randomUUID(), body);
    expect(answer.status).toBe(201);
    made.push(answer.body as unknown as Transfer);
  }

  await fault();

  const after = await driver.entryUrl('transactions');
  for (const transfer of made)
    expect(await get(after, `/transfers/${transfer.id}`)).toEqual(transfer);
  const listed = await transfersOf(after, accounts[0] ?? '');
  expect(new Set(listed.map((t) => t.id))).toEqual(new Set(made.map((t) => t.id)));
  const expected = expectedBalances(accounts, opening, made);
  for (const id of accounts) expect(await balanceOf(after, id)).toBe(expected.get(id));
}

describe(`transactions on the ${inject('target')} target`, () => {
  test('transfers made before PostgreSQL is killed, deleted and recreated are all there after', async (context) => {
    need(context, 'store');
    await transfersSurvive(() => driver.restartStore('transactions', { kill: true }));
  });

  test('an Idempotency-Key replayed across a PostgreSQL restart returns the original response', async (context) => {
    need(context, 'store');
    const url = await driver.entryUrl('transactions');
    const [from, to] = await openAccounts(url, 2, 500);
    const paid = { key: randomUUID(), body: { fromAccountId: from, toAccountId: to, amount: 300 } };
    // A 422 from the ledger is stored under its key and replayed like a 201.
    const refused = {
      key: randomUUID(),
      body: { fromAccountId: from, toAccountId: to, amount: 999 },
    };
    const first = await postUntilFinal([url], '/transfers', paid.key, paid.body);
    expect(first.status).toBe(201);
    const second = await postUntilFinal([url], '/transfers', refused.key, refused.body);
    expect(second.status).toBe(422);
    expect(second.body.code).toBe('insufficient_funds');

    await driver.restartStore('transactions', { kill: true });

    const after = await driver.entryUrl('transactions');
    const replay = await postUntilFinal([after], '/transfers', paid.key, paid.body);
    expect(replay).toEqual({ status: 201, body: first.body, replayed: true });
    const refusedAgain = await postUntilFinal([after], '/transfers', refused.key, refused.body);
    expect(refusedAgain).toEqual({ status: 422, body: second.body, replayed: true });
    // Applied once: the replay moved no more money.
    expect(await balanceOf(after, from ?? '')).toBe(200);
    expect(await balanceOf(after, to ?? '')).toBe(800);
  });

  test('an API replica killed mid-load loses no acknowledged transfer and applies no key twice', async (context) => {
    need(context, 'service');
    const [victim, survivor] = await driver.waitForReplicas('transactions');
    if (!victim || !survivor) throw new Error('transactions needs two replicas for this test');
    const opening = 1_000_000;
    const accounts = await openAccounts(survivor.url, 8, opening);

    const counts: Counts = { retried: 0, replayed: 0 };
    const acknowledged = new Map<string, Transfer>();
    let rejected = 0;
    let started = 0;
    let killing: Promise<void> | undefined;
    // Bounded: 8 workers, 320 transfers or 90 s in all; the kill comes after the 40th.
    const deadline = Date.now() + 90_000;

    const worker = async (index: number) => {
      while (started < 320 && Date.now() < deadline) {
        const n = started++;
        if (n === 40) killing = driver.killReplica('transactions', victim);
        const from = accounts[randomInt(accounts.length)] ?? '';
        const others = accounts.filter((id) => id !== from);
        const body = {
          fromAccountId: from,
          toAccountId: others[randomInt(others.length)],
          amount: 1 + randomInt(100),
          reference: `load ${index}.${n}`,
        };
        const key = randomUUID();
        // Half the requests try the victim first; once it is dead they fail over, as a client
        // behind a Service would be sent to the replica left.
        const order = (n + index) % 2 === 0 ? [victim, survivor] : [survivor, victim];
        const urls = order.map((r) => r.url);
        const answer = await postUntilFinal(urls, '/transfers', key, body, counts);
        if (answer.status === 422) {
          rejected++;
          continue;
        }
        expect(answer.status, JSON.stringify(answer.body)).toBe(201);
        acknowledged.set(key, answer.body as unknown as Transfer);
        // Every eighth one is sent again, as a client whose answer got lost would, to the
        // other replica: it must replay, not pay twice.
        if (n % 8 === 0) {
          const again = await postUntilFinal(urls.toReversed(), '/transfers', key, body, counts);
          expect(again.status).toBe(201);
          expect(again.body).toEqual(answer.body);
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: 8 }, (_, index) => worker(index)));
    } finally {
      await killing;
      // Back to full strength even when an assertion failed, so no other test starts short.
      await driver.waitForReplicas('transactions');
    }

    const url = await driver.entryUrl('transactions');
    let found = 0;
    for (const transfer of acknowledged.values()) {
      expect(await get(url, `/transfers/${transfer.id}`)).toEqual(transfer);
      found++;
    }
    const listed = new Map<string, Transfer>();
    for (const id of accounts) for (const t of await transfersOf(url, id)) listed.set(t.id, t);
    const expected = expectedBalances(accounts, opening, [...acknowledged.values()]);
    let total = 0;
    for (const id of accounts) {
      const balance = await balanceOf(url, id);
      expect(balance).toBe(expected.get(id));
      total += balance;
    }
    console.log(
      `transactions e2e, a replica killed mid-load: ${started} transfers sent, ` +
        `${acknowledged.size} acknowledged, ${rejected} refused, ${counts.retried} retried, ` +
        `${counts.replayed} replayed, ${found} found, ${listed.size} listed; ` +
        `money ${total} of ${accounts.length * opening}`,
    );
    // The kill showed in the traffic: some request had to be sent again.
    expect(counts.retried).toBeGreaterThan(0);
    expect(found).toBe(acknowledged.size);
    // Nothing was applied that no one was told of, and no key twice.
    expect(new Set(listed.keys())).toEqual(new Set([...acknowledged.values()].map((t) => t.id)));
    expect(total).toBe(accounts.length * opening);
  });

  // Only where the store is a workload of its own: kind's StatefulSet.
  if (driver.recreateStoreWorkload) {
    const recreate = driver.recreateStoreWorkload.bind(driver);
    test("deleting PostgreSQL's whole StatefulSet and applying it again keeps every transfer", {
      timeout: 600_000,
    }, async () => {
      await transfersSurvive(() => recreate('transactions'));
    });
  }
});
