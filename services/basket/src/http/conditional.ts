// The basket's version as an HTTP entity tag (RFC 9110 §8.8.3): `"<version>"`, strong, since a
// version names exactly one state of the basket. If-Match makes a write conditional (412 when
// stale); If-None-Match makes a read cheap (304 when unchanged).
import type { Precondition } from '../domain/basket.ts';
import { BadPrecondition } from './errors.ts';

export const etagOf = (version: number) => `"${version}"`;

const TAG = /^(W\/)?"([^"]*)"$/;

/** The entity tags of an If-Match or If-None-Match value: '*', or each tag with its weakness. */
function tags(header: string, value: string): '*' | { weak: boolean; opaque: string }[] {
  if (value.trim() === '*') return '*';
  return value.split(',').map((part) => {
    const match = TAG.exec(part.trim());
    if (!match) {
      throw new BadPrecondition(header, 'must be * or entity tags such as "3", as ETag gave them');
    }
    return { weak: match[1] !== undefined, opaque: match[2] ?? '' };
  });
}

/**
 * If-Match as a store precondition. Its comparison is strong, so a weak tag matches nothing; a
 * tag that is no version of ours matches nothing either, and the write answers 412.
 */
export function ifMatch(value: string | undefined): Precondition | undefined {
  if (value === undefined) return undefined;
  const parsed = tags('If-Match', value);
  if (parsed === '*') return '*';
  return parsed
    .filter((tag) => !tag.weak && /^\d{1,15}$/.test(tag.opaque))
    .map((tag) => Number(tag.opaque));
}

/** Whether If-None-Match names the current version (weak comparison, RFC 9110 §13.1.2). */
export function noneMatch(value: string | undefined, version: number): boolean {
  if (value === undefined) return false;
  const parsed = tags('If-None-Match', value);
  return parsed === '*' || parsed.some((tag) => tag.opaque === String(version));
}
