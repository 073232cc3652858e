// Expired Idempotency-Keys are already ignored when a request looks one up (findKeySql); this
// deletes their rows now and then, so the table holds about one TTL's worth of keys.
import type { Logger, Resource } from '@quadrants/service-kit';
import type { LedgerStore } from './ledger-store.ts';

export interface SweeperOptions {
  store: LedgerStore;
  log: Logger;
  /** Every 10 minutes: a key lives for hours, so its row may outlive it by that much. */
  everyMs?: number;
  /** Rows per DELETE, so one sweep never holds locks on a large part of the table. */
  batch?: number;
}

/** Starts sweeping; the returned resource stops it on shutdown. */
export function startKeySweeper({
  store,
  log,
  everyMs = 600_000,
  batch = 1_000,
}: SweeperOptions): Resource {
  let running: Promise<void> | undefined;
  const sweep = async () => {
    try {
      let deleted = 0;
      for (let n = batch; n === batch; deleted += n) n = await store.purgeExpiredKeys(batch);
      if (deleted > 0) log.info({ deleted }, 'expired idempotency keys deleted');
    } catch (error) {
      // PostgreSQL may be down; the next sweep tries again, and lookups ignore expired keys.
      log.warn({ err: error }, 'could not delete expired idempotency keys');
    }
  };
  const timer = setInterval(() => {
    running ??= sweep().finally(() => {
      running = undefined;
    });
  }, everyMs);
  timer.unref();
  return {
    name: 'idempotency-key sweeper',
    async close() {
      clearInterval(timer);
      await running;
    },
  };
}
