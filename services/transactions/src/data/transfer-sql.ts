// The SQL of one transfer, statement by statement, in the order ledger-store.ts runs them inside
// one transaction. It is its own module so that bench/transactions can hand pgbench exactly
// these statements and measure the HTTP API against the database doing the same work.

/**
 * Takes the Idempotency-Key for this transaction, or answers false at once if another
 * transaction holds it (the same request still running: 409). Released by COMMIT or ROLLBACK.
 * $1 scope, $2 key. A 64-bit hash of both: two different keys share a lock (and one of them
 * gets a needless 409) about once in 2^32 keys in flight together.
 */
export const claimKeySql = `SELECT pg_try_advisory_xact_lock(hashtextextended($1 || ' ' || $2, 0)) AS claimed`;

/** The response stored under a live key: $1 scope, $2 key. An expired row counts as absent. */
export const findKeySql = `SELECT request_hash, response_status, response_headers, response_body
  FROM idempotency_keys
  WHERE scope = $1 AND key = $2 AND expires_at > now()`;

/**
 * Locks both accounts of a transfer, always in the order of their ids, so two transfers between
 * the same pair in opposite directions queue rather than deadlock. $1 the two ids.
 */
export const lockAccountsSql = `SELECT id, currency, balance FROM accounts
  WHERE id = ANY($1::uuid[])
  ORDER BY id
  FOR UPDATE`;

/**
 * Moves the money and writes the transfer and its two entries in one statement (one round trip).
 * $1 transfer id, $2 from, $3 to, $4 amount, $5 currency, $6 reference.
 */
export const applyTransferSql = `WITH moved AS (
    UPDATE accounts
    SET balance = balance + CASE WHEN id = $2::uuid THEN -$4::bigint ELSE $4::bigint END
    WHERE id IN ($2::uuid, $3::uuid)
    RETURNING id, balance
  ), transfer AS (
    INSERT INTO transfers (id, from_account_id, to_account_id, amount, currency, reference)
    VALUES ($1, $2, $3, $4, $5, $6)
    RETURNING created_at
  ), entries AS (
    INSERT INTO entries (account_id, transfer_id, kind, amount, balance_after)
    SELECT moved.id, $1,
      CASE WHEN moved.id = $2::uuid THEN 'debit' ELSE 'credit' END,
      CASE WHEN moved.id = $2::uuid THEN -$4::bigint ELSE $4::bigint END,
      moved.balance
    FROM moved
  )
  SELECT created_at FROM transfer`;

/**
 * Stores the response under the key, in the same transaction as the write it answers for. A row
 * left by an expired key is replaced; a live one cannot be there (claimKeySql and findKeySql
 * saw to that). $1 scope, $2 key, $3 request hash, $4 status, $5 headers, $6 body, $7 TTL hours.
 */
export const storeKeySql = `INSERT INTO idempotency_keys
    (scope, key, request_hash, response_status, response_headers, response_body, expires_at)
  VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(hours => $7))
  ON CONFLICT (scope, key) DO UPDATE SET
    request_hash = excluded.request_hash,
    response_status = excluded.response_status,
    response_headers = excluded.response_headers,
    response_body = excluded.response_body,
    created_at = now(),
    expires_at = excluded.expires_at
  WHERE idempotency_keys.expires_at <= now()`;

/** The statements of one POST /transfers that commits, in order, between BEGIN and COMMIT. */
export const transferStatements = [
  claimKeySql,
  findKeySql,
  lockAccountsSql,
  applyTransferSql,
  storeKeySql,
] as const;
