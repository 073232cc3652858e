-- Up Migration
-- The ledger. Money is an integer of minor units (cents for EUR, yen for JPY) and never leaves
-- the safe-integer range of a JavaScript number, so the API can carry it as a JSON number.
-- A balance always equals the sum of its account's entries; each transfer writes one debit
-- (negative) and one credit (positive) entry.

CREATE TABLE accounts (
  id uuid PRIMARY KEY,
  owner text NOT NULL CHECK (length(owner) BETWEEN 1 AND 200),
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  balance bigint NOT NULL CHECK (balance BETWEEN 0 AND 9007199254740991),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE transfers (
  -- The order transfers are listed in; ids are random, so they cannot give one.
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id uuid PRIMARY KEY,
  from_account_id uuid NOT NULL REFERENCES accounts (id),
  to_account_id uuid NOT NULL REFERENCES accounts (id),
  amount bigint NOT NULL CHECK (amount BETWEEN 1 AND 9007199254740991),
  currency char(3) NOT NULL,
  reference text CHECK (length(reference) <= 140),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (from_account_id <> to_account_id)
);
CREATE INDEX transfers_from_account ON transfers (from_account_id, seq);
CREATE INDEX transfers_to_account ON transfers (to_account_id, seq);

CREATE TABLE entries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts (id),
  transfer_id uuid REFERENCES transfers (id),
  kind text NOT NULL CHECK (kind IN ('opening', 'debit', 'credit')),
  amount bigint NOT NULL,
  balance_after bigint NOT NULL CHECK (balance_after >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  -- An opening entry belongs to no transfer; a debit or credit to exactly one, once each.
  CHECK ((kind = 'opening') = (transfer_id IS NULL)),
  CHECK ((kind = 'debit' AND amount < 0) OR (kind <> 'debit' AND amount >= 0)),
  UNIQUE (transfer_id, kind)
);
CREATE INDEX entries_account ON entries (account_id, id);

-- Idempotency-Key records: claimed in the same transaction as the ledger write they answer for,
-- so a stored key means the write committed, and a replay works from any replica after any
-- restart. The response is kept as json, not jsonb, so a replay keeps its members' order.
CREATE TABLE idempotency_keys (
  scope text NOT NULL,
  key text NOT NULL,
  request_hash text NOT NULL,
  response_status smallint NOT NULL,
  response_headers json NOT NULL,
  response_body json NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- Down Migration
DROP TABLE idempotency_keys;
DROP TABLE entries;
DROP TABLE transfers;
DROP TABLE accounts;
