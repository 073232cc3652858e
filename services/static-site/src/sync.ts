// static-site's sync command, the initContainer: one complete, verified copy of the bucket's
// prefix in STATIC_DIR, `current` switched to it, then exit 0. It waits for the store as long
// as it takes; a stop signal ends it with nothing switched.

import { loadSyncConfig } from './config.ts';
import { runCommand } from './content/command.ts';
import { createS3Client } from './content/s3.ts';
import { syncUntilDone } from './content/sync.ts';

await runCommand({
  name: 'sync',
  loadConfig: loadSyncConfig,
  async run({ config, log, signal }) {
    const s3 = createS3Client(config);
    try {
      await syncUntilDone({
        s3,
        bucket: config.S3_BUCKET,
        prefix: config.S3_PREFIX,
        dir: config.STATIC_DIR,
        concurrency: config.STATIC_SYNC_CONCURRENCY,
        requireSeed: config.STATIC_SYNC_REQUIRE_SEED,
        keep: config.STATIC_KEEP_RELEASES,
        maxBackoffMs: config.STATIC_SYNC_MAX_BACKOFF_MS,
        log,
        signal,
      });
    } finally {
      s3.destroy();
    }
  },
});
