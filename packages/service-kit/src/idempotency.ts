// Idempotency-Key, as the IETF httpapi draft describes it: a client names each POST it may
// send more than once, and the server answers every repeat with the first answer. What every
// service shares: what a key may look like, when two requests are "the same", what is stored
// and replayed, and the two ways a key is refused. Where the answers are kept is each
// service's own (transactions: PostgreSQL; uploads: the shared volume).
import { createHash } from 'node:crypto';

/** The draft's key is a string; this service takes 1–255 visible ASCII characters. */
export const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export type KeyProblem = 'missing' | 'invalid';

/** What is wrong with the header's value, if anything. */
export function keyProblem(header: string | string[] | undefined): KeyProblem | undefined {
  if (header === undefined) return 'missing';
  if (Array.isArray(header) || !KEY_PATTERN.test(header)) return 'invalid';
  return undefined;
}

/** A value with object members in one order, so equal requests serialise equally. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

/**
 * The request's fingerprint: SHA-256 of its validated body (defaults filled in, members in
 * order). Two bodies that mean the same are the same request, however they are spelled.
 */
export function fingerprint(request: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(request)))
    .digest('base64url');
}

/** One response as it is stored under a key and replayed. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** The key is held by a request that is still running. */
export class KeyInUse extends Error {
  constructor() {
    super('a request with this Idempotency-Key is still being processed; retry shortly');
    this.name = 'KeyInUse';
  }
}

/** The key was used before for a request with another body. */
export class KeyReused extends Error {
  constructor() {
    super('this Idempotency-Key was used for a request with a different body');
    this.name = 'KeyReused';
  }
}
