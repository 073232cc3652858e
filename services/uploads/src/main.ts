// uploads' process: config → the stores on the shared directory (this instance's leftovers
// from a crash swept first, then a sweeper for everyone's stale ones) → app → listen.
import { runService } from '@quadrants/service-kit';
import { createApp } from './app.ts';
import { loadUploadsConfig } from './config.ts';
import { openKeyStore } from './data/key-store.ts';
import { openObjectStore } from './data/object-store.ts';
import { startSweeper } from './data/sweeper.ts';

await runService({
  name: 'uploads',
  loadConfig: loadUploadsConfig,
  async start({ config, kit, register, step, listen }) {
    const root = config.UPLOADS_DIR;
    const instance = config.UPLOADS_INSTANCE;
    // A temporary file or key lock older than twice the longest upload has no request behind it.
    const staleMs = 2 * config.UPLOADS_REQUEST_TIMEOUT_MS;
    const store = await step('open the upload directory', () =>
      openObjectStore({ root, instance }),
    );
    const keys = openKeyStore({
      root,
      instance,
      ttlMs: config.IDEMPOTENCY_KEY_TTL_SECONDS * 1_000,
      holdMs: config.UPLOADS_REQUEST_TIMEOUT_MS + 60_000,
    });
    const swept = await step('sweep what a crash left', async () => ({
      files: await store.sweep({ own: true, staleMs }),
      keys: await keys.sweep({ own: true }),
    }));
    kit.log.info({ root, instance, swept }, 'upload directory open');
    register({ name: 'volume', ready: () => store.check(), close: () => {} });
    register(startSweeper({ store, keys, staleMs, log: kit.log }));

    const app = createApp({
      ...kit,
      store,
      keys,
      allowedTypes: config.UPLOADS_ALLOWED_TYPES,
      maxFileSize: config.UPLOADS_MAX_FILE_SIZE,
      maxFields: config.UPLOADS_MAX_FIELDS,
    });
    await listen(app, {
      port: config.PORT,
      host: config.HOST,
      requestTimeoutMs: config.UPLOADS_REQUEST_TIMEOUT_MS,
    });
  },
});
