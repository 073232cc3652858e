// The pgbench script of one transfer, made from the service's own statements
// (services/transactions/src/data/transfer-sql.ts), so that pgbench runs exactly the SQL that one
// POST /transfers runs, in the same order, between BEGIN and COMMIT.
import { transferStatements } from '@quadrants/transactions/data/transfer-sql';

/**
 * An account's id from its number 1..n: md5 as 32 hex digits with the version (4) and variant
 * (8) digits put in, so it is a well-formed RFC 9562 uuid that the API's validation accepts.
 * The seed and pgbench's draw both compute it, so neither needs to look ids up.
 */
export const accountIdSql = (n: string): string =>
  `overlay(overlay(md5('bench account ' || ${n}) placing '4' from 13) placing '8' from 17)::uuid`;

/**
 * The pgbench variable that stands for each `$n` of each statement, in transferStatements'
 * order. The service's ledger-store.ts binds the same values in the same places.
 */
const parameters: readonly (readonly string[])[] = [
  ['scope', 'key'], // claimKey
  ['scope', 'key'], // findKey
  ['account_ids'], // lockAccounts
  ['transfer_id', 'from_id', 'to_id', 'amount', 'currency', 'reference'], // applyTransfer
  ['scope', 'key', 'request_hash', 'status', 'headers', 'body', 'ttl_hours'], // storeKey
];

/** `$1`, `$2`, … → `:scope`, `:key`, …; fails if the statement's parameters are not the ones listed. */
function withVariables(sql: string, names: readonly string[], at: number): string {
  const used = new Set([...sql.matchAll(/\$(\d+)/g)].map((match) => Number(match[1])));
  if (used.size !== names.length || ![...used].every((n) => n >= 1 && n <= names.length)) {
    throw new Error(
      `transferStatements[${at}] takes parameters ${[...used].sort().join(', ')}, ` +
        `but the pgbench script binds ${names.length}: update bench/transactions/pgbench-script.ts`,
    );
  }
  if (/(^|[^:]):[A-Za-z_]/.test(sql)) {
    // pgbench would read such a colon as one of its variables.
    throw new Error(`transferStatements[${at}] holds a ':name' that pgbench would substitute`);
  }
  return sql.replace(/\$(\d+)/g, (_, n: string) => `:${names[Number(n) - 1]}`);
}

export interface ScriptOptions {
  /** Accounts are numbered 1..accounts (see accountIdSql). */
  accounts: number;
  /** Each transfer moves a random amount from 1 to this. */
  maxAmount: number;
}

/**
 * The script. pgbench's own variables are numbers, and the ledger's ids are uuids, so its first
 * command draws the two accounts and the transfer's id and gets them back as strings with
 * `\gset`: one round trip more than the service makes, outside the transaction, which the
 * bench's report counts. The key is a number unique in the whole run: `key_base` (set per
 * pgbench run with -D) + the client's number × 10^9 + its own counter `seq` (-D seq=0; pgbench
 * keeps a client's variables from one transaction to the next).
 */
export function pgbenchScript({ accounts, maxAmount }: ScriptOptions): string {
  if (transferStatements.length !== parameters.length) {
    throw new Error(
      `transferStatements has ${transferStatements.length} statements, the pgbench script ` +
        `binds ${parameters.length}: update bench/transactions/pgbench-script.ts`,
    );
  }
  const statements = transferStatements.map(
    (sql, at) => `${withVariables(sql, parameters[at] ?? [], at)};`,
  );
  return [
    `\\set from random(1, ${accounts})`,
    // Any other account, each equally likely.
    `\\set to 1 + (:from + random(0, ${accounts - 2})) % ${accounts}`,
    `\\set amount random(1, ${maxAmount})`,
    '\\set seq :seq + 1',
    '\\set key :key_base + :client_id * 1000000000 + :seq',
    `SELECT gen_random_uuid() AS transfer_id, ${accountIdSql(':from')} AS from_id,`,
    `  ${accountIdSql(':to')} AS to_id,`,
    `  ARRAY[${accountIdSql(':from')}, ${accountIdSql(':to')}] AS account_ids \\gset`,
    'BEGIN;',
    ...statements,
    'COMMIT;',
    '',
  ].join('\n');
}

/** Round trips to PostgreSQL in one transfer: BEGIN, the statements, COMMIT. */
export const TRANSACTION_ROUND_TRIPS = transferStatements.length + 2;
