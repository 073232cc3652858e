/**
 * The load the concurrency and fault tests drive: workers making random transfers through the
 * HTTP API as careful clients do. Each transfer has one Idempotency-Key, and the client keeps
 * sending it with that key until it gets a final answer (201, or a 422 refusal), whatever
 * happens in between: a 409 while its twin is still running, a 503 while PostgreSQL is down, a
 * dropped connection. Every attempt is recorded, so the tests can hold the client's view against
 * the tables: what was acknowledged exists exactly once, and nothing else does.
 *
 * LOAD_SEED picks the random choices (accounts, amounts, modes) of a run again; the timing of
 * the requests, and so their interleaving, is the machine's.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import { expect } from 'vitest';
import {
  type AccountJson,
  type Answer,
  type Invariants,
  type LedgerClient,
  type ProblemJson,
  readInvariants,
  type TransferJson,
} from './ledger.ts';

/**
 * How one transfer is sent. `once`: one request. `twice`: two requests at the same moment with
 * the same key (a double click, a client and its proxy both retrying). `dropped`: the first
 * request is sent and its connection dropped before the answer is read, then it is retried.
 * `again`: sent once more after its answer, which must come back as a replay.
 */
export type Mode = 'once' | 'twice' | 'dropped' | 'again';

export interface TransferBody {
  fromAccountId: string;
  toAccountId: string;
  amount: number;
  reference: string;
}

/** One request's outcome, as the client saw it. */
export interface Attempt {
  /** HTTP status; 0 when no answer came (a dropped send, a network error). */
  status: number;
  code?: string | undefined;
  replayed: boolean;
  body?: unknown;
  location?: string | null;
}

export interface Intent {
  key: string;
  body: TransferBody;
  mode: Mode;
  attempts: Attempt[];
  /** The first final answer (201 or a refusal) the client saw. */
  final?: Attempt;
  /** When the client first saw the 201 (Date.now()). */
  acknowledgedAt?: number;
  /** No final answer came before the load gave up on it. */
  unsettled?: boolean;
}

export interface LoadOptions {
  /** The replicas; every request goes to one picked at random. */
  apis: LedgerClient[];
  accounts: AccountJson[];
  workers: number;
  transfersPerWorker: number;
  /** No transfer starts after this long. */
  maxMs: number;
  /** How long one transfer may take to get its final answer before the load gives up on it. */
  settleMs: number;
  seed?: number;
}

export interface LoadCounts {
  requests: number;
  duplicates: number;
  dropped: number;
  /** Dropped sends that the server had applied before the retry came: the retry replayed. */
  droppedAppliedByServer: number;
  resentAfterAnswer: number;
  created: number;
  createdReplays: number;
  refused: number;
  refusedReplays: number;
  inUse: number;
  unavailable: number;
  networkErrors: number;
  unexpected: number;
}

export interface Load {
  /** Every transfer the workers have started so far. */
  intents: Intent[];
  counts: LoadCounts;
  /** Settles when every worker has finished. */
  done: Promise<void>;
  seed: number;
}

/**
 * Opens `count` accounts with `openingBalance` each, one after the other, sending each one again
 * with its key while it answers 503: a busy machine may keep a request waiting for a pooled
 * connection past DATABASE_CONNECT_TIMEOUT_MS.
 */
export async function openAccounts(
  api: LedgerClient,
  count: number,
  openingBalance: number,
): Promise<AccountJson[]> {
  const accounts: AccountJson[] = [];
  for (let i = 0; i < count; i++) {
    const key = `open-${randomUUID()}`;
    const body = { owner: `load ${i}`, currency: 'EUR', openingBalance };
    for (let attempt = 1; ; attempt++) {
      const answer = await api.post<AccountJson>('/accounts', body, key);
      if (answer.status === 201) {
        accounts.push(answer.body);
        break;
      }
      if (answer.status !== 503 || attempt >= 20) {
        throw new Error(`POST /accounts answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
      await sleep(250);
    }
  }
  return accounts;
}

/** A small seeded PRNG (mulberry32): the same seed makes the same choices. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pick<T>(items: readonly T[], rand: () => number): T {
  const item = items[Math.floor(rand() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/**
 * Sends the POST and drops the connection once the request is on the wire, a few milliseconds
 * later or sooner than the server answers: the client never reads an answer, as when a proxy
 * or the network loses it. The server may have applied it, be applying it, or never see it.
 */
function sendAndDrop(baseUrl: string, body: TransferBody, key: string, delayMs: number) {
  return new Promise<void>((resolve) => {
    const payload = JSON.stringify(body);
    const request = http.request(new URL('/transfers', baseUrl), {
      method: 'POST',
      agent: false,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
        'idempotency-key': key,
      },
    });
    request.on('error', () => resolve());
    request.on('close', () => resolve());
    request.on('response', (response) => response.destroy());
    request.on('finish', () => {
      setTimeout(() => {
        request.destroy();
        resolve();
      }, delayMs);
    });
    request.end(payload);
  });
}

const FINAL = new Set([201, 422]);

/** Starts the workers; `done` settles when all have finished. */
export function startLoad(options: LoadOptions): Load {
  const seed =
    options.seed ??
    (process.env.LOAD_SEED ? Number(process.env.LOAD_SEED) : Math.floor(Math.random() * 2 ** 31));
  const rand = random(seed);
  const counts: LoadCounts = {
    requests: 0,
    duplicates: 0,
    dropped: 0,
    droppedAppliedByServer: 0,
    resentAfterAnswer: 0,
    created: 0,
    createdReplays: 0,
    refused: 0,
    refusedReplays: 0,
    inUse: 0,
    unavailable: 0,
    networkErrors: 0,
    unexpected: 0,
  };
  const intents: Intent[] = [];
  const total = options.accounts.reduce((sum, account) => sum + account.balance, 0);
  const stopAt = Date.now() + options.maxMs;

  function newIntent(): Intent {
    const from = pick(options.accounts, rand);
    let to = pick(options.accounts, rand);
    while (to.id === from.id) to = pick(options.accounts, rand);
    // Mostly amounts an account can often pay; one in twenty more than all the money there
    // is, so some transfers are always refused (422 insufficient_funds) besides those that
    // meet a balance run low.
    const amount =
      rand() < 0.05 ? total + 1 + Math.floor(rand() * 1_000) : 1 + Math.floor(rand() * 6_000);
    const roll = rand();
    const mode: Mode =
      roll < 0.5 ? 'once' : roll < 0.7 ? 'twice' : roll < 0.9 ? 'dropped' : 'again';
    return {
      key: `load-${randomUUID()}`,
      body: { fromAccountId: from.id, toAccountId: to.id, amount, reference: `load ${seed}` },
      mode,
      attempts: [],
    };
  }

  function record(intent: Intent, answer: Answer): Attempt {
    const problem = answer.body as Partial<ProblemJson>;
    const replayed = answer.headers.get('idempotent-replayed') === 'true';
    const attempt: Attempt = {
      status: answer.status,
      code: answer.status >= 400 ? problem.code : undefined,
      replayed,
      body: answer.body,
      location: answer.headers.get('location'),
    };
    intent.attempts.push(attempt);
    if (answer.status === 201) counts[replayed ? 'createdReplays' : 'created']++;
    else if (answer.status === 422 && problem.code !== 'idempotency_key_reused') {
      counts[replayed ? 'refusedReplays' : 'refused']++;
    } else if (answer.status === 409 && problem.code === 'idempotency_key_in_use') counts.inUse++;
    else if (answer.status === 503 && problem.code === 'database_unavailable') counts.unavailable++;
    else counts.unexpected++;
    return attempt;
  }

  /** Sends the intent's request until a final answer, as a client that retries safely does. */
  async function settle(intent: Intent, giveUpAt: number): Promise<void> {
    while (Date.now() < giveUpAt) {
      const api = pick(options.apis, rand);
      counts.requests++;
      let answer: Answer;
      try {
        answer = await api.post('/transfers', intent.body, intent.key);
      } catch {
        // Connection refused or reset, or no answer within the client's timeout: the request
        // may or may not have been applied, so only the same key may be sent again.
        counts.networkErrors++;
        intent.attempts.push({ status: 0, replayed: false });
        await sleep(100 + rand() * 300);
        continue;
      }
      const attempt = record(intent, answer);
      if (FINAL.has(attempt.status) && attempt.code !== 'idempotency_key_reused') {
        intent.final ??= attempt;
        if (attempt.status === 201) intent.acknowledgedAt ??= Date.now();
        return;
      }
      if (attempt.status !== 409 && attempt.status !== 503) return; // unexpected: reported
      // Retry-After says 1 s; a shorter, jittered wait gives the test more rounds of the race.
      await sleep(50 + rand() * 250);
    }
    intent.unsettled = true;
  }

  async function run(intent: Intent): Promise<void> {
    const giveUpAt = Date.now() + options.settleMs;
    switch (intent.mode) {
      case 'once':
        await settle(intent, giveUpAt);
        break;
      case 'twice':
        counts.duplicates++;
        await Promise.all([settle(intent, giveUpAt), settle(intent, giveUpAt)]);
        break;
      case 'dropped': {
        counts.dropped++;
        counts.requests++;
        intent.attempts.push({ status: 0, replayed: false });
        await sendAndDrop(pick(options.apis, rand).baseUrl, intent.body, intent.key, rand() * 25);
        await settle(intent, giveUpAt);
        const seen = intent.attempts.slice(1);
        if (seen.some((a) => a.status === 409 || (FINAL.has(a.status) && a.replayed))) {
          counts.droppedAppliedByServer++;
        }
        break;
      }
      case 'again':
        await settle(intent, giveUpAt);
        if (intent.final) {
          counts.resentAfterAnswer++;
          await settle(intent, giveUpAt);
        }
        break;
    }
  }

  async function worker(): Promise<void> {
    for (let i = 0; i < options.transfersPerWorker && Date.now() < stopAt; i++) {
      const intent = newIntent();
      intents.push(intent);
      await run(intent);
    }
  }

  const done = Promise.all(Array.from({ length: options.workers }, worker)).then(() => {});
  return { intents, counts, done, seed };
}

/** What the client's records say, held against each other (no database involved). */
export interface ClientView {
  /** Transfers the client saw acknowledged with 201, by key. */
  acknowledged: Map<string, TransferJson>;
  refusedKeys: number;
  /** Keys that answered a fresh (not replayed) final answer more than once: applied twice. */
  appliedTwice: string[];
  /** Keys that, with nothing dropped or failed on the way, never got a fresh answer. */
  neverFresh: string[];
  /** Keys whose final answers differ from their first (status, body or Location). */
  replaysDiffering: string[];
  /** Keys that got no final answer before the load gave up on them. */
  unsettled: string[];
  unexpected: Attempt[];
}

export function clientView(intents: readonly Intent[]): ClientView {
  const view: ClientView = {
    acknowledged: new Map(),
    refusedKeys: 0,
    appliedTwice: [],
    neverFresh: [],
    replaysDiffering: [],
    unsettled: [],
    unexpected: [],
  };
  for (const intent of intents) {
    if (intent.unsettled || !intent.final) view.unsettled.push(intent.key);
    const finals = intent.attempts.filter(
      (a) => FINAL.has(a.status) && a.code !== 'idempotency_key_reused',
    );
    view.unexpected.push(
      ...intent.attempts.filter(
        (a) =>
          a.status !== 0 &&
          !finals.includes(a) &&
          !(a.status === 409 && a.code === 'idempotency_key_in_use') &&
          !(a.status === 503 && a.code === 'database_unavailable'),
      ),
    );
    const fresh = finals.filter((a) => !a.replayed);
    if (fresh.length > 1) view.appliedTwice.push(intent.key);
    // A dropped send, a 503 or a lost connection may each have been the one that applied it.
    const blind = intent.attempts.some((a) => a.status === 0 || a.status === 503);
    if (fresh.length === 0 && finals.length > 0 && !blind) view.neverFresh.push(intent.key);
    const first = finals[0];
    if (
      first &&
      finals.some(
        (a) =>
          a.status !== first.status ||
          a.location !== first.location ||
          !isDeepStrictEqual(a.body, first.body),
      )
    ) {
      view.replaysDiffering.push(intent.key);
    }
    if (first?.status === 201) view.acknowledged.set(intent.key, first.body as TransferJson);
    else if (first?.status === 422) view.refusedKeys++;
  }
  return view;
}

/** What the tables hold beside the client's records. */
export interface TableView {
  transferIds: Set<string>;
  balances: Map<string, number>;
}

export async function readTables(db: pg.Pool): Promise<TableView> {
  const transfers = await db.query<{ id: string }>('SELECT id FROM transfers');
  const accounts = await db.query<{ id: string; balance: string }>(
    'SELECT id, balance FROM accounts',
  );
  return {
    transferIds: new Set(transfers.rows.map((row) => row.id)),
    balances: new Map(accounts.rows.map((row) => [row.id, Number(row.balance)])),
  };
}

/** Each account's balance if exactly the acknowledged transfers were applied, once each. */
export function expectedBalances(
  accounts: readonly AccountJson[],
  acknowledged: Iterable<TransferJson>,
): Map<string, number> {
  const balances = new Map(accounts.map((account) => [account.id, account.balance]));
  for (const transfer of acknowledged) {
    balances.set(
      transfer.fromAccountId,
      (balances.get(transfer.fromAccountId) ?? 0) - transfer.amount,
    );
    balances.set(transfer.toAccountId, (balances.get(transfer.toAccountId) ?? 0) + transfer.amount);
  }
  return balances;
}

/** GET /transfers/{id} for each acknowledged transfer, a few at a time; those not answered equal. */
export async function transfersNotServed(
  api: LedgerClient,
  acknowledged: Iterable<TransferJson>,
): Promise<string[]> {
  const queue = [...acknowledged];
  const missing: string[] = [];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let transfer = queue.pop(); transfer; transfer = queue.pop()) {
        const answer = await api.get<TransferJson>(`/transfers/${transfer.id}`);
        if (answer.status !== 200 || !isDeepStrictEqual(answer.body, transfer)) {
          missing.push(transfer.id);
        }
      }
    }),
  );
  return missing;
}

/** Everything the end of a load run is judged on: the client's records and the tables. */
export interface Audit {
  view: ClientView;
  before: Invariants;
  after: Invariants;
  tables: TableView;
  expected: Map<string, number>;
  notServed: string[];
}

/**
 * Reads the tables (through `db`) and every acknowledged transfer (through `api`, ideally
 * another replica than most answers came from) after a load run.
 */
export async function audit(options: {
  db: pg.Pool;
  api: LedgerClient;
  accounts: readonly AccountJson[];
  before: Invariants;
  load: Load;
}): Promise<Audit> {
  const view = clientView(options.load.intents);
  return {
    view,
    before: options.before,
    after: await readInvariants(options.db),
    tables: await readTables(options.db),
    expected: expectedBalances(options.accounts, view.acknowledged.values()),
    notServed: await transfersNotServed(options.api, view.acknowledged.values()),
  };
}

/** The counts of a run, one readable block for the test's output. */
export function describeRun(title: string, load: Load, result: Audit, extra: string[] = []) {
  const { counts } = load;
  const { view, before, after } = result;
  return [
    `${title} (seed ${load.seed})`,
    `  transfers started       ${load.intents.length}`,
    `  requests sent           ${counts.requests}`,
    `  sent twice at once      ${counts.duplicates}`,
    `  dropped, then retried   ${counts.dropped} (the server had applied it: ${counts.droppedAppliedByServer})`,
    `  resent after an answer  ${counts.resentAfterAnswer}`,
    `  201 created             ${counts.created}   replayed ${counts.createdReplays}`,
    `  422 refused             ${counts.refused}   replayed ${counts.refusedReplays}`,
    `  409 key in use          ${counts.inUse}`,
    `  503 unavailable         ${counts.unavailable}   network errors ${counts.networkErrors}   unexpected ${counts.unexpected}`,
    ...extra,
    `  keys acknowledged (201) ${view.acknowledged.size}   refused (422) ${view.refusedKeys}`,
    `  transfers in the table  ${after.transfers}`,
    `  total money             before ${before.totalBalance}   after ${after.totalBalance}`,
    `  negative balances ${after.negativeBalances}, balances off their entries ${after.balancesOffEntries}, unbalanced transfers ${after.unbalancedTransfers}`,
    `  applied twice ${view.appliedTwice.length}, replays differing ${view.replaysDiffering.length}, acknowledged but not served ${result.notServed.length}`,
  ].join('\n');
}

/**
 * The promise of issue 8: money conserved, no balance below zero, every balance the sum of its
 * entries, every transfer one debit and one credit, every acknowledged transfer there exactly
 * once and nothing else there, every replay the first answer.
 */
export function expectExactlyOnce({ view, before, after, tables, expected, notServed }: Audit) {
  // The client's own records: one answer per key, however many times it was sent.
  expect(view.unexpected).toEqual([]);
  expect(view.unsettled).toEqual([]);
  expect(view.appliedTwice).toEqual([]);
  expect(view.neverFresh).toEqual([]);
  expect(view.replaysDiffering).toEqual([]);

  // The tables on their own.
  expect(after.totalBalance).toBe(before.totalBalance);
  expect(after.totalOpening).toBe(before.totalOpening);
  expect(after.negativeBalances).toBe(0);
  expect(after.balancesOffEntries).toBe(0);
  expect(after.unbalancedTransfers).toBe(0);

  // Both together: the transfers in the table are exactly the acknowledged ones, each once, so
  // every balance is its opening balance moved by those transfers and by no others. (A key
  // applied twice still conserves money: only these counts catch it.)
  const ids = [...view.acknowledged.values()].map((transfer) => transfer.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(after.transfers).toBe(view.acknowledged.size);
  expect([...tables.transferIds].sort()).toEqual(ids.sort());
  expect(tables.balances).toEqual(expected);
  expect(notServed).toEqual([]);
}
