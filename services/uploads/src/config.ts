import { hostname } from 'node:os';
import { baseConfigShape, intVar, loadConfig } from '@quadrants/service-kit';
import { z } from 'zod';

const UNITS = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 } as const;

/** A size such as `512kb`, `100mb` or `2gb` (powers of 1024), or a plain number of bytes. */
const sizeVar = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^\d+(b|kb|mb|gb)?$/, 'expected a size such as 100mb or 2gb')
  .transform((value) => {
    const [, digits = '0', unit] = /^(\d+)([a-z]*)$/.exec(value) ?? [];
    return Number(digits) * UNITS[(unit || 'b') as keyof typeof UNITS];
  })
  .pipe(z.number().int().min(1).max(Number.MAX_SAFE_INTEGER));

/** A media type as `type/subtype`, lower-cased; parameters are not part of an allow-list entry. */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;

const mediaTypeList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((entry) => entry.trim().toLowerCase())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(z.string().regex(MEDIA_TYPE, 'expected media types such as image/png,application/pdf'))
      .min(1, 'expected at least one media type'),
  );

export const configShape = {
  ...baseConfigShape,
  /** 8082 is uploads' port when all five services run side by side on one machine. */
  PORT: intVar({ min: 0, max: 65_535 }).default(8082),
  /**
   * The shared directory every replica writes: `objects/`, `keys/` and `tmp/` go under it. One
   * filesystem, so that a finished upload is renamed into place, never copied.
   */
  UPLOADS_DIR: z
    .string({ error: 'is required: the directory (volume) uploads are kept in' })
    .trim()
    .min(1),
  /**
   * This replica's name among those sharing UPLOADS_DIR: its temporary files carry it, and at
   * start-up it removes those of its own name (a crash's leftovers). Pods and containers have
   * unique hostnames; processes on one machine need one each.
   */
  UPLOADS_INSTANCE: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'expected 1–63 letters, digits, ".", "_" or "-"')
    .default(hostname().slice(0, 63)),
  /** Largest file one upload may carry (413 beyond). */
  UPLOADS_MAX_FILE_SIZE: sizeVar.default(100 * 1024 ** 2),
  /**
   * Media types an upload may have, as declared and as its bytes show. Add
   * application/octet-stream to take files of any type (served as downloads).
   */
  UPLOADS_ALLOWED_TYPES: mediaTypeList.default([
    'image/png',
    'image/jpeg',
    'image/gif',
    'image/webp',
    'image/avif',
    'application/pdf',
    'text/plain',
  ]),
  /** Most metadata fields beside the file (413 beyond); each name ≤ 64 bytes, value ≤ 1 kB. */
  UPLOADS_MAX_FIELDS: intVar({ min: 0, max: 1_000 }).default(20),
  /**
   * Longest one upload may take to arrive in full: 100 MB at 1 MB/s. It also bounds how old
   * another replica's temporary file can be while still in use, so older ones are swept.
   */
  UPLOADS_REQUEST_TIMEOUT_MS: intVar({ min: 1_000, max: 24 * 3600 * 1_000 }).default(300_000),
  /** How long an Idempotency-Key's answer is kept for replay: a day, as the draft suggests. */
  IDEMPOTENCY_KEY_TTL_SECONDS: intVar({ min: 60, max: 30 * 24 * 3600 }).default(24 * 3600),
};

export type Config = ReturnType<typeof loadUploadsConfig>;

export function loadUploadsConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(configShape, env);
}
