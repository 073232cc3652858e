import { baseConfigShape, byteSizeVar, intVar, loadConfig } from '@quadrants/service-kit';

export const configShape = {
  ...baseConfigShape,
  /** 8084 is geo's port when all five services run side by side on one machine. */
  PORT: intVar({ min: 0, max: 65_535 }).default(8084),
  /**
   * A full batch of 10,000 UTM positions at full precision, with a space after every ':' and
   * ',' (Python's json.dumps), is 1.09 MB (test/convert-batch.test.ts); 2 MB leaves room for
   * indented JSON.
   */
  BODY_LIMIT: byteSizeVar.default('2mb'),
  /** Most points in one POST /convert/batch; more answer 413 and belong in a stream. */
  GEO_BATCH_MAX_POINTS: intVar({ min: 1, max: 1_000_000 }).default(10_000),
  /** Longest line of a POST /convert/stream; a point needs about 100 bytes. */
  GEO_STREAM_MAX_LINE_BYTES: intVar({ min: 64, max: 1_048_576 }).default(4_096),
  /** How long a request (a stream included) may take to arrive; 0 means no limit. */
  REQUEST_TIMEOUT_MS: intVar({ min: 0, max: 86_400_000 }).default(3_600_000),
};

export type Config = ReturnType<typeof loadGeoConfig>;

export function loadGeoConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(configShape, env);
}
