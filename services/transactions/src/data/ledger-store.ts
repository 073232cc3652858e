// The only module that reads and writes the ledger's tables. Every write runs inside
// `idempotently`, which claims the Idempotency-Key in the same transaction, so a response is
// stored if and only if the write it describes committed.
import type pg from 'pg';
import {
  KeyInUse,
  type KeyOutcome,
  KeyReused,
  type StoredResponse,
} from '../domain/idempotency.ts';
import {
  type Account,
  AccountReferenceTaken,
  type Entry,
  type LedgerTransaction,
  type NewAccount,
  type Transfer,
} from '../domain/ledger.ts';
import { inTransaction, type RetryOptions } from './database.ts';
import {
  applyTransferSql,
  claimKeySql,
  findKeySql,
  lockAccountsSql,
  storeKeySql,
} from './transfer-sql.ts';

export interface Page<T> {
  items: T[];
  /** Where the next page starts (pass it as `before`), when there is one. */
  next: string | undefined;
}

export interface PageRequest {
  limit: number;
  /** Only items listed after this position (from a previous page's `next`). */
  before?: string | undefined;
}

export interface LedgerStore {
  /**
   * Runs `work` once per (scope, key): the first time, in a transaction that also stores its
   * response; later, within the key's lifetime, returns the stored response instead. Throws
   * KeyInUse while another transaction holds the key, and KeyReused when the stored request
   * had another fingerprint.
   */
  idempotently(
    scope: string,
    key: string,
    requestHash: string,
    work: (ledger: LedgerTransaction) => Promise<StoredResponse>,
  ): Promise<KeyOutcome>;
  getAccount(id: string): Promise<Account | undefined>;
  findAccountByReference(reference: string): Promise<Account | undefined>;
  /** An account's entries, newest first; undefined when the account does not exist. */
  listEntries(accountId: string, page: PageRequest): Promise<Page<Entry> | undefined>;
  getTransfer(id: string): Promise<Transfer | undefined>;
  /** Transfers newest first, those touching `accountId` only when it is given. */
  listTransfers(page: PageRequest & { accountId?: string | undefined }): Promise<Page<Transfer>>;
  /** Deletes up to `limit` expired keys; returns how many. */
  purgeExpiredKeys(limit: number): Promise<number>;
}

export interface LedgerStoreOptions {
  keyTtlHours: number;
  retry?: RetryOptions;
  /** Called before each retry of a transaction, with the error that caused it. */
  onRetry?: (error: unknown) => void;
}

// int8 arrives from pg as a string; the schema's CHECKs keep every value a safe integer.
const int = (value: string | number) => Number(value);
const iso = (value: Date) => value.toISOString();

interface AccountRow {
  id: string;
  owner: string;
  currency: string;
  balance: string;
  reference: string | null;
  created_at: Date;
}
const ACCOUNT_COLUMNS = 'id, owner, currency, balance, reference, created_at';
const toAccount = (row: AccountRow): Account => ({
  id: row.id,
  owner: row.owner,
  currency: row.currency,
  balance: int(row.balance),
  reference: row.reference,
  createdAt: iso(row.created_at),
});

interface TransferRow {
  seq: string;
  id: string;
  from_account_id: string;
  to_account_id: string;
  amount: string;
  currency: string;
  reference: string | null;
  created_at: Date;
}
const toTransfer = (row: TransferRow): Transfer => ({
  id: row.id,
  fromAccountId: row.from_account_id,
  toAccountId: row.to_account_id,
  amount: int(row.amount),
  currency: row.currency,
  reference: row.reference,
  createdAt: iso(row.created_at),
});

interface EntryRow {
  id: string;
  account_id: string;
  transfer_id: string | null;
  kind: Entry['kind'];
  amount: string;
  balance_after: string;
  created_at: Date;
}
const toEntry = (row: EntryRow): Entry => ({
  id: row.id,
  accountId: row.account_id,
  transferId: row.transfer_id,
  kind: row.kind,
  amount: int(row.amount),
  balanceAfter: int(row.balance_after),
  createdAt: iso(row.created_at),
});

/** One more row than asked for says whether another page follows. */
function page<Row, T>(
  rows: Row[],
  limit: number,
  map: (row: Row) => T,
  position: (row: Row) => string,
): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(map),
    next: rows.length > limit && last !== undefined ? position(last) : undefined,
  };
}

/**
 * A statement PostgreSQL parses and plans once per connection, then runs by name: the write
 * path's statements run on every POST, as pgbench -M prepared runs them.
 */
const prepared = (name: string, text: string, values: unknown[]) => ({
  name: `transactions.${name}`,
  text,
  values,
});

/** The key was stored by another transaction after this one looked: run it again to replay. */
class KeyRace extends Error {
  readonly code = '40001'; // retried as a serialization failure is
  constructor() {
    super('another transaction stored this Idempotency-Key first');
  }
}

const TRANSFER_COLUMNS =
  'seq, id, from_account_id, to_account_id, amount, currency, reference, created_at';

function ledgerOn(client: pg.PoolClient): LedgerTransaction {
  return {
    async lockAccounts(ids) {
      const { rows } = await client.query<{ id: string; currency: string; balance: string }>(
        prepared('lock-accounts', lockAccountsSql, [ids]),
      );
      return rows.map((row) => ({ id: row.id, currency: row.currency, balance: int(row.balance) }));
    },
    async applyTransfer(transfer) {
      const { rows } = await client.query<{ created_at: Date }>(
        prepared('apply-transfer', applyTransferSql, [
          transfer.id,
          transfer.fromAccountId,
          transfer.toAccountId,
          transfer.amount,
          transfer.currency,
          transfer.reference,
        ]),
      );
      const [row] = rows;
      if (!row) throw new Error('the transfer was not written');
      return { ...transfer, createdAt: iso(row.created_at) };
    },
    async createAccount(account: NewAccount & { id: string }) {
      const reference = account.reference ?? null;
      // A taken reference inserts nothing (and so no opening entry) rather than failing: the
      // transaction stays usable to name the account that has it. ON CONFLICT waits for a
      // concurrent insert of the same reference to commit or roll back, and the next
      // statement's snapshot (READ COMMITTED) sees the winner.
      const { rows } = await client.query<AccountRow>(
        `WITH account AS (
           INSERT INTO accounts (id, owner, currency, balance, reference) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (reference) DO NOTHING
           RETURNING ${ACCOUNT_COLUMNS}
         ), opening AS (
           INSERT INTO entries (account_id, kind, amount, balance_after)
           SELECT id, 'opening', balance, balance FROM account
         )
         SELECT * FROM account`,
        [account.id, account.owner, account.currency, account.openingBalance, reference],
      );
      const [row] = rows;
      if (row) return toAccount(row);
      if (reference !== null) {
        const holder = await client.query<{ id: string }>(
          'SELECT id FROM accounts WHERE reference = $1',
          [reference],
        );
        const id = holder.rows[0]?.id;
        if (id !== undefined) throw new AccountReferenceTaken(reference, id);
      }
      throw new Error('the account was not written');
    },
  };
}

interface KeyRow {
  request_hash: string;
  response_status: number;
  response_headers: Record<string, string>;
  response_body: unknown;
}

export function createLedgerStore(pool: pg.Pool, options: LedgerStoreOptions): LedgerStore {
  async function getAccount(id: string): Promise<Account | undefined> {
    const { rows } = await pool.query<AccountRow>(
      `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = $1`,
      [id],
    );
    return rows[0] && toAccount(rows[0]);
  }

  async function findAccountByReference(reference: string): Promise<Account | undefined> {
    const { rows } = await pool.query<AccountRow>(
      `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE reference = $1`,
      [reference],
    );
    return rows[0] && toAccount(rows[0]);
  }

  return {
    idempotently(scope, key, requestHash, work) {
      return inTransaction(
        pool,
        async (client): Promise<KeyOutcome> => {
          const claim = await client.query<{ claimed: boolean }>(
            prepared('claim-key', claimKeySql, [scope, key]),
          );
          if (!claim.rows[0]?.claimed) throw new KeyInUse();
          const stored = (
            await client.query<KeyRow>(prepared('find-key', findKeySql, [scope, key]))
          ).rows[0];
          if (stored) {
            if (stored.request_hash !== requestHash) throw new KeyReused();
            return {
              replayed: true,
              response: {
                status: stored.response_status,
                headers: stored.response_headers,
                body: stored.response_body,
              },
            };
          }
          const response = await work(ledgerOn(client));
          const { rowCount } = await client.query(
            prepared('store-key', storeKeySql, [
              scope,
              key,
              requestHash,
              response.status,
              JSON.stringify(response.headers),
              JSON.stringify(response.body),
              options.keyTtlHours,
            ]),
          );
          // Cannot happen while claimKeySql's lock is held, which findKeySql runs under. Should
          // it ever, the write rolls back and the retry replays the stored answer.
          if (rowCount !== 1) throw new KeyRace();
          return { replayed: false, response };
        },
        options.retry,
        options.onRetry,
      );
    },

    getAccount,
    findAccountByReference,

    async listEntries(accountId, { limit, before }) {
      const { rows } = await pool.query<EntryRow>(
        `SELECT id, account_id, transfer_id, kind, amount, balance_after, created_at
         FROM entries
         WHERE account_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
         ORDER BY id DESC
         LIMIT $3`,
        [accountId, before ?? null, limit + 1],
      );
      if (rows.length === 0 && !(await getAccount(accountId))) return undefined;
      return page(rows, limit, toEntry, (row) => row.id);
    },

    async getTransfer(id) {
      const { rows } = await pool.query<TransferRow>(
        `SELECT ${TRANSFER_COLUMNS} FROM transfers WHERE id = $1`,
        [id],
      );
      return rows[0] && toTransfer(rows[0]);
    },

    async listTransfers({ limit, before, accountId }) {
      const after = before ?? null;
      // Each side of the account's transfers comes from its own index, newest first.
      const { rows } =
        accountId === undefined
          ? await pool.query<TransferRow>(
              `SELECT ${TRANSFER_COLUMNS} FROM transfers
               WHERE $1::bigint IS NULL OR seq < $1::bigint
               ORDER BY seq DESC LIMIT $2`,
              [after, limit + 1],
            )
          : await pool.query<TransferRow>(
              `SELECT ${TRANSFER_COLUMNS} FROM transfers WHERE seq IN (
                 (SELECT seq FROM transfers
                  WHERE from_account_id = $1 AND ($2::bigint IS NULL OR seq < $2::bigint)
                  ORDER BY seq DESC LIMIT $3)
                 UNION ALL
                 (SELECT seq FROM transfers
                  WHERE to_account_id = $1 AND ($2::bigint IS NULL OR seq < $2::bigint)
                  ORDER BY seq DESC LIMIT $3))
               ORDER BY seq DESC LIMIT $3`,
              [accountId, after, limit + 1],
            );
      return page(rows, limit, toTransfer, (row) => row.seq);
    },

    async purgeExpiredKeys(limit) {
      const { rowCount } = await pool.query(
        `DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(
           SELECT ctid FROM idempotency_keys WHERE expires_at <= now() LIMIT $1))`,
        [limit],
      );
      return rowCount ?? 0;
    },
  };
}
