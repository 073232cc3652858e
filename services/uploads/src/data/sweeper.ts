import type { Logger, Resource } from '@quadrants/service-kit';
import type { KeyStore } from './key-store.ts';
import type { ObjectStore } from './object-store.ts';

/** How often every replica looks for stale temporary files and expired keys. */
const EVERY_MS = 60_000;

/**
 * Removes, once a minute, temporary files no request can still be writing (older than
 * `staleMs`: another replica that died mid-upload and never came back under its name) and
 * Idempotency-Key answers past their time. Registered as a resource, so shutdown stops it.
 */
export function startSweeper(options: {
  store: ObjectStore;
  keys: KeyStore;
  staleMs: number;
  log: Logger;
}): Resource {
  const { store, keys, staleMs, log } = options;
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= (async () => {
      try {
        const files = await store.sweep({ own: false, staleMs });
        const expired = await keys.sweep({ own: false });
        if (files + expired > 0) log.info({ files, keys: expired }, 'swept stale uploads and keys');
      } catch (error) {
        log.warn({ err: error }, 'sweeping the upload directory failed; trying again in a minute');
      } finally {
        running = undefined;
      }
    })();
  }, EVERY_MS);
  timer.unref();
  return {
    name: 'sweeper',
    async close() {
      clearInterval(timer);
      await running;
    },
  };
}
