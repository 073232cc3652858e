/**
 * How the component tests run transactions: the real app on a free port against a real
 * PostgreSQL database of the test file's own, a client that sends an Idempotency-Key with each
 * POST, data factories, and the ledger's invariants read straight from the tables.
 */
import { randomUUID } from 'node:crypto';
import { listenOnFreePort, type RunningApp, testKit } from '@quadrants/service-kit/testing';
import pg from 'pg';
import { inject } from 'vitest';
import { createApp } from '../src/app.ts';
import { createPool } from '../src/data/database.ts';
import { createLedgerStore, type LedgerStoreOptions } from '../src/data/ledger-store.ts';
import { checkSchema } from '../src/data/migrations.ts';
import { databaseFromTemplate } from '../test-support/postgres.ts';
import { TEMPLATE } from './global-setup.ts';

/** A request that has not answered by then counts as a hang. */
const REQUEST_TIMEOUT_MS = 15_000;

/** A database of its own for the calling test file, already migrated. */
export async function freshDatabase(name = `t_${randomUUID().replaceAll('-', '')}`) {
  return databaseFromTemplate(inject('postgresAdminUrl'), TEMPLATE, name);
}

export interface Ledger extends RunningApp {
  /** The database's URL. */
  url: string;
  /** A pool of its own on the same database, for the test's reads and sabotage. */
  db: pg.Pool;
  api: LedgerClient;
}

export interface LedgerOptions {
  url?: string;
  store?: Partial<LedgerStoreOptions>;
  poolMax?: number;
  connectTimeoutMs?: number;
}

/** The real app with its pool, store and readiness checks, as main.ts wires them. */
export async function startLedger(options: LedgerOptions = {}): Promise<Ledger> {
  const url = options.url ?? (await freshDatabase());
  const pool = createPool({
    url,
    poolMax: options.poolMax ?? 10,
    connectTimeoutMs: options.connectTimeoutMs ?? 2_000,
    queryTimeoutMs: 10_000,
    applicationName: 'transactions-test',
  });
  pool.on('error', () => {}); // an idle client lost when a test stops PostgreSQL
  const kit = testKit({ service: 'transactions', bodyLimit: '16kb', readinessTimeoutMs: 3_000 });
  kit.health.addCheck('postgres', async () => {
    await pool.query('SELECT 1');
  });
  kit.health.addCheck('schema', () => checkSchema(pool));
  const store = createLedgerStore(pool, { keyTtlHours: 24, ...options.store });
  const running = await listenOnFreePort(createApp({ ...kit, store }));
  const db = new pg.Pool({ connectionString: url, max: 3 });
  db.on('error', () => {});
  return {
    ...running,
    url,
    db,
    api: ledgerClient(running.baseUrl),
    async close() {
      await running.close();
      await pool.end();
      await db.end();
    },
  };
}

export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  type: string;
  body: T;
}

export interface LedgerClient {
  baseUrl: string;
  get<T = unknown>(path: string): Promise<Answer<T>>;
  /** POST `body` as JSON with `Idempotency-Key: key` (a fresh UUID unless given; null for none). */
  post<T = unknown>(path: string, body: unknown, key?: string | null): Promise<Answer<T>>;
  /** Opens an account; throws unless it answers 201. */
  openAccount(overrides?: Partial<NewAccountJson>): Promise<AccountJson>;
}

export interface NewAccountJson {
  owner: string;
  currency: string;
  openingBalance: number;
  reference?: string;
}
export interface AccountJson extends Omit<NewAccountJson, 'openingBalance' | 'reference'> {
  id: string;
  balance: number;
  reference: string | null;
  createdAt: string;
}
export interface TransferJson {
  id: string;
  fromAccountId: string;
  toAccountId: string;
  amount: number;
  currency: string;
  reference: string | null;
  createdAt: string;
}
export interface ProblemJson {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { field: string; detail: string }[];
}

/** Data factory: an account body with overrides. */
export const anAccount = (overrides: Partial<NewAccountJson> = {}): NewAccountJson => ({
  owner: 'Ada Lovelace',
  currency: 'EUR',
  openingBalance: 10_000,
  ...overrides,
});

export function ledgerClient(baseUrl: string): LedgerClient {
  async function send<T>(path: string, init: RequestInit): Promise<Answer<T>> {
    const response = await fetch(`${baseUrl}${path}`, {
      ...init,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    return {
      status: response.status,
      headers: response.headers,
      type,
      body: (/json/.test(type) ? JSON.parse(text) : text) as T,
    };
  }
  const client: LedgerClient = {
    baseUrl,
    get: (path) => send(path, {}),
    post: (path, body, key = randomUUID()) =>
      send(path, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(key === null ? {} : { 'idempotency-key': key }),
        },
        body: JSON.stringify(body),
      }),
    async openAccount(overrides) {
      const answer = await client.post<AccountJson>('/accounts', anAccount(overrides));
      if (answer.status !== 201) {
        throw new Error(`POST /accounts answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
      return answer.body;
    },
  };
  return client;
}

export interface Invariants {
  accounts: number;
  transfers: number;
  /** Sum of every balance, and of every opening entry: equal while money is conserved. */
  totalBalance: number;
  totalOpening: number;
  negativeBalances: number;
  /** Accounts whose balance is not the sum of their entries. */
  balancesOffEntries: number;
  /** Transfers without exactly one debit of −amount and one credit of +amount. */
  unbalancedTransfers: number;
}

/** The ledger's invariants, read from the tables in one snapshot. */
export async function readInvariants(db: pg.Pool): Promise<Invariants> {
  const { rows } = await db.query<Record<keyof Invariants, string>>(`
    SELECT
      (SELECT count(*) FROM accounts) AS accounts,
      (SELECT count(*) FROM transfers) AS transfers,
      (SELECT coalesce(sum(balance), 0) FROM accounts) AS "totalBalance",
      (SELECT coalesce(sum(amount), 0) FROM entries WHERE kind = 'opening') AS "totalOpening",
      (SELECT count(*) FROM accounts WHERE balance < 0) AS "negativeBalances",
      (SELECT count(*) FROM accounts a
        WHERE a.balance <> (SELECT coalesce(sum(amount), 0) FROM entries e WHERE e.account_id = a.id)
      ) AS "balancesOffEntries",
      (SELECT count(*) FROM transfers t WHERE
        (SELECT count(*) FROM entries e
          WHERE e.transfer_id = t.id AND e.kind = 'debit' AND e.amount = -t.amount
            AND e.account_id = t.from_account_id) <> 1
        OR (SELECT count(*) FROM entries e
          WHERE e.transfer_id = t.id AND e.kind = 'credit' AND e.amount = t.amount
            AND e.account_id = t.to_account_id) <> 1
        OR (SELECT count(*) FROM entries e WHERE e.transfer_id = t.id) <> 2
      ) AS "unbalancedTransfers"`);
  const row = rows[0];
  if (!row) throw new Error('no row');
  return Object.fromEntries(
    Object.entries(row).map(([k, v]) => [k, Number(v)]),
  ) as unknown as Invariants;
}
