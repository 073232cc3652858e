import { baseConfigShape, intVar, loadConfig } from '@quadrants/service-kit';
import { z } from 'zod';

/** `true`/`false` (also 1/0, yes/no), as the environment spells a switch. */
const flagVar = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' }))
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** A bucket name as S3 allows it: 3–63 lower-case letters, digits, dots and hyphens. */
const bucketVar = z
  .string()
  .trim()
  .regex(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    'expected a bucket name: 3–63 lower-case letters, digits, "." or "-"',
  );

/**
 * The key prefix the site lives under: empty (the whole bucket) or segments ending in "/", with
 * no "." or ".." segment, so that a key less its prefix is always a relative path.
 */
const prefixVar = z
  .string()
  .trim()
  .regex(
    /^(?:(?!\.\.?\/)[A-Za-z0-9._-]+\/)*$/,
    'expected a key prefix such as site/ (segments of letters, digits, ".", "_" or "-", each ending in "/")',
  );

/** An http(s) URL, as an S3 endpoint is given. */
const endpointVar = z
  .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
  .optional();

/**
 * Where the site is stored and how to reach it, in the AWS SDK's own variables where it has
 * them. Credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, a web identity…)
 * are left to the SDK's provider chain; the endpoint and region are read here too, because they
 * decide how the client talks to the store.
 */
export const storeShape = {
  /** The S3 API of an S3-compatible server; unset, AWS itself. */
  AWS_ENDPOINT_URL_S3: endpointVar,
  /** The SDK's endpoint for every service, used when AWS_ENDPOINT_URL_S3 is unset. */
  AWS_ENDPOINT_URL: endpointVar,
  AWS_REGION: z
    .string()
    .trim()
    .regex(/^[a-z0-9-]{1,32}$/, 'expected a region such as us-east-1')
    .default('us-east-1'),
  S3_BUCKET: bucketVar.default('static-site'),
  S3_PREFIX: prefixVar.default('site/'),
  /**
   * Address buckets as endpoint/bucket rather than bucket.endpoint. Most S3-compatible servers
   * need it, so it defaults to true when an endpoint is configured and false on AWS itself.
   */
  S3_FORCE_PATH_STYLE: flagVar.optional(),
};

export const syncShape = {
  ...storeShape,
  /**
   * The directory the site is synced into and served from: `releases/<id>/` per complete copy
   * and `current`, a symlink to the one being served. An emptyDir on Kubernetes.
   */
  STATIC_DIR: z
    .string({ error: 'is required: the directory the site is synced into and served from' })
    .trim()
    .min(1),
  /** Longest wait between two attempts while the store cannot be read; attempts never stop. */
  STATIC_SYNC_MAX_BACKOFF_MS: intVar({ min: 100, max: 600_000 }).default(10_000),
  /**
   * Wait for the seed's marker (`<prefix>_static/seeded.json`, written last by every seed)
   * before taking the prefix for a site. False for a bucket filled by other means.
   */
  STATIC_SYNC_REQUIRE_SEED: flagVar.default(true),
  /** Files downloaded at once. */
  STATIC_SYNC_CONCURRENCY: intVar({ min: 1, max: 64 }).default(8),
  /** Complete copies kept in STATIC_DIR/releases, the one served included. */
  STATIC_KEEP_RELEASES: intVar({ min: 1, max: 100 }).default(2),
};

export const serverShape = {
  ...baseConfigShape,
  ...syncShape,
  /** 8083 is static-site's port when all five services run side by side on one machine. */
  PORT: intVar({ min: 0, max: 65_535 }).default(8083),
  /**
   * Run the sync in this process before serving (compose and `pnpm start`, which have no
   * initContainer); on Kubernetes the initContainer has done it, and this stays false.
   */
  STATIC_SYNC_ON_START: flagVar.default(false),
  /**
   * Answer a browser's request for an unknown extensionless path with /index.html (200), for a
   * single-page app that routes in the browser. Off: such a request gets the 404 page.
   */
  STATIC_SPA_FALLBACK: flagVar.default(false),
  /** Files up to this size are kept in memory once loaded; larger ones are read from disk. */
  STATIC_MEMORY_FILE_LIMIT: intVar({ min: 0, max: 64 * 1024 ** 2 }).default(1024 ** 2),
  /** Whole memory the cached files may take; past it, files are read from disk. */
  STATIC_MEMORY_BUDGET: intVar({ min: 0, max: 4 * 1024 ** 3 }).default(64 * 1024 ** 2),
};

export const seedShape = {
  ...storeShape,
  LOG_LEVEL: baseConfigShape.LOG_LEVEL,
  /** The directory to upload, when not given as the argument; the built site by default. */
  STATIC_SEED_DIR: z.string().trim().min(1).optional(),
  /** How long the seed waits for the store to answer before it gives up (exit 1). */
  STATIC_SEED_WAIT_MS: intVar({ min: 0, max: 3_600_000 }).default(120_000),
};

export type ServerConfig = ReturnType<typeof loadServerConfig>;
export type SyncConfig = ReturnType<typeof loadSyncConfig>;
export type SeedConfig = ReturnType<typeof loadSeedConfig>;
export type StoreConfig = z.infer<z.ZodObject<typeof storeShape>>;

export function loadServerConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(serverShape, env);
}

export function loadSyncConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig({ ...syncShape, LOG_LEVEL: baseConfigShape.LOG_LEVEL }, env);
}

export function loadSeedConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(seedShape, env);
}
