-- Up Migration
-- An account's optional reference: the caller's own name for it (the shop's seed uses
-- "shop:ada"), unique, so a seed or any client can create an account once and find it again
-- by name. Existing accounts have none (NULL, which the unique index does not compare).
-- Adding a nullable column without a default rewrites nothing; the index build locks writes
-- to accounts for its duration, short on a ledger of this size (a large one would build it
-- CONCURRENTLY, outside the migration's transaction, first).
ALTER TABLE accounts
  ADD COLUMN reference text CHECK (reference ~ '^[a-z0-9][a-z0-9:._-]{0,63}$');
CREATE UNIQUE INDEX accounts_reference ON accounts (reference);

-- Down Migration
DROP INDEX accounts_reference;
ALTER TABLE accounts DROP COLUMN reference;
