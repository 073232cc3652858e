// The bench's ledger database: made and migrated with the service's own migrations, seeded with
// accounts, and checked afterwards, so the figures are known to come from real, correct work.
import { createMigratedDatabase } from '@quadrants/transactions/testing/postgres';
import pg from 'pg';
import { accountIdSql } from './pgbench-script.ts';

export const DATABASE_NAME = 'quadrants_bench_transactions';
export const CURRENCY = 'EUR';

export interface Seed {
  accounts: number;
  /** Every account opens with this, in minor units: far more than the run can move out of one. */
  openingBalance: number;
}

/** A fresh database of the bench's own (dropping an older one), migrated; its URL. */
export function createLedgerDatabase(adminUrl: string): Promise<string> {
  return createMigratedDatabase(adminUrl, DATABASE_NAME);
}

/** Opens a client, runs `work`, closes it. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Accounts 1..n with ids from accountIdSql and their opening entries, written as the service
 * writes an account (one row and one opening entry each), in two statements rather than n POSTs.
 * Returns the ids in order, so that account k is ids[k - 1] for the HTTP side as for pgbench.
 */
export function seedAccounts(url: string, { accounts, openingBalance }: Seed): Promise<string[]> {
  return withClient(url, async (client) => {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO accounts (id, owner, currency, balance)
       SELECT ${accountIdSql('n')}, 'bench account ' || n, $2, $3
       FROM generate_series(1, $1::int) AS n`,
      [accounts, CURRENCY, openingBalance],
    );
    await client.query(
      `INSERT INTO entries (account_id, kind, amount, balance_after)
       SELECT id, 'opening', balance, balance FROM accounts`,
    );
    await client.query('COMMIT');
    await client.query('ANALYZE');
    const { rows } = await client.query<{ id: string }>(
      `SELECT ${accountIdSql('n')} AS id FROM generate_series(1, $1::int) AS n ORDER BY n`,
      [accounts],
    );
    return rows.map((row) => row.id);
  });
}

/** One response the API stored under its key: pgbench stores the same bytes under its own. */
export interface StoredResponse {
  /** The route's scope, as the service names it ("POST /transfers"). */
  scope: string;
  requestHash: string;
  headers: string;
  body: string;
}

export function sampleStoredResponse(url: string): Promise<StoredResponse> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<StoredResponse>(
      `SELECT scope, request_hash AS "requestHash", response_headers::text AS headers,
              response_body::text AS body
       FROM idempotency_keys WHERE response_status = 201 LIMIT 1`,
    );
    const [row] = rows;
    if (!row) throw new Error('the API stored no 201 response to copy');
    return row;
  });
}

export interface Expected {
  seed: Seed;
  /** 201s the HTTP side was answered, warm-up included. */
  created: number;
  /** Transactions pgbench reported processed, warm-up included. */
  pgbenchTransactions: number;
  /** The prefix of every key the HTTP side sent. */
  httpKeyPrefix: string;
}

export interface Check {
  what: string;
  expected: number | string;
  found: number | string;
  ok: boolean;
}

/** The contract's invariants, read from the tables. */
export function checkInvariants(url: string, expected: Expected): Promise<Check[]> {
  return withClient(url, async (client) => {
    const one = async (sql: string, values: unknown[] = []): Promise<number> => {
      const { rows } = await client.query<{ value: string | null }>(sql, values);
      return Number(rows[0]?.value ?? 0);
    };
    const { accounts, openingBalance } = expected.seed;
    const transfers = await one('SELECT count(*) AS value FROM transfers');
    const check = (what: string, want: number, found: number): Check => ({
      what,
      expected: want,
      found,
      ok: want === found,
    });
    return [
      check(
        'money conserved: sum of balances',
        accounts * openingBalance,
        await one('SELECT sum(balance) AS value FROM accounts'),
      ),
      check(
        'transfers = 201s + pgbench transactions',
        expected.created + expected.pgbenchTransactions,
        transfers,
      ),
      check(
        'keys stored by the API = 201s',
        expected.created,
        await one('SELECT count(*) AS value FROM idempotency_keys WHERE starts_with(key, $1)', [
          expected.httpKeyPrefix,
        ]),
      ),
      check(
        'keys stored by pgbench = its transactions',
        expected.pgbenchTransactions,
        await one('SELECT count(*) AS value FROM idempotency_keys WHERE NOT starts_with(key, $1)', [
          expected.httpKeyPrefix,
        ]),
      ),
      check(
        'debit entries = transfers',
        transfers,
        await one(`SELECT count(*) AS value FROM entries WHERE kind = 'debit'`),
      ),
      check(
        'credit entries = transfers',
        transfers,
        await one(`SELECT count(*) AS value FROM entries WHERE kind = 'credit'`),
      ),
      check(
        'transfers whose two entries do not cancel out',
        0,
        await one(
          `SELECT count(*) AS value FROM (
             SELECT transfer_id FROM entries WHERE transfer_id IS NOT NULL
             GROUP BY transfer_id HAVING sum(amount) <> 0 OR count(*) <> 2) AS odd`,
        ),
      ),
      check(
        'accounts whose balance is not the sum of their entries',
        0,
        await one(
          `SELECT count(*) AS value FROM accounts AS a
           WHERE a.balance <> (SELECT sum(amount) FROM entries WHERE account_id = a.id)`,
        ),
      ),
      check(
        'balances below zero',
        0,
        await one('SELECT count(*) AS value FROM accounts WHERE balance < 0'),
      ),
    ];
  });
}
