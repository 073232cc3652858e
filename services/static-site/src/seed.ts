// static-site's seed command, the seed Job: uploads a directory (by default the site built into
// this package's dist/site) to S3_BUCKET/S3_PREFIX, with precompressed forms, and removes what
// the directory no longer has. `node dist/seed.js [DIR]` (or STATIC_SEED_DIR); idempotent.
import { fileURLToPath } from 'node:url';
import { loadSeedConfig } from './config.ts';
import { runCommand } from './content/command.ts';
import { createS3Client, sourceUrl } from './content/s3.ts';
import { seedWhenReachable } from './content/seed.ts';

/** The site `pnpm --filter @quadrants/static-site build` writes, from dist/ and from src/ alike. */
const BUILT_SITE = fileURLToPath(new URL('../dist/site/', import.meta.url));

await runCommand({
  name: 'seed',
  loadConfig: loadSeedConfig,
  async run({ config, log, signal }) {
    const source = process.argv[2] ?? config.STATIC_SEED_DIR ?? BUILT_SITE;
    const s3 = createS3Client(config);
    try {
      const result = await seedWhenReachable({
        s3,
        bucket: config.S3_BUCKET,
        prefix: config.S3_PREFIX,
        source,
        log,
        signal,
        waitMs: config.STATIC_SEED_WAIT_MS,
      });
      log.info(
        { source, ...result },
        `seeded ${sourceUrl(config)} from ${source}: ${result.uploaded} uploaded, ${result.unchanged} unchanged, ${result.deleted} deleted`,
      );
    } finally {
      s3.destroy();
    }
  },
});
