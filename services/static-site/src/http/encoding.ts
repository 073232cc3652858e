/** The content codings this server stores, in the order it prefers them at equal weight. */
export type Coding = 'br' | 'gzip' | 'identity';

/** Below any weight a header can give (q has three decimals at most), above refusal. */
const IMPLICIT_IDENTITY = 0.0001;

/**
 * The coding to send, from those `available` (in the server's order of preference), for an
 * Accept-Encoding header (RFC 9110 §12.5.3): the highest weight wins, and the server's order
 * settles ties, so that `gzip, deflate, br` (as browsers send it) gets Brotli. No header means
 * identity. Identity is acceptable unless the header refuses it (`identity;q=0`, or `*;q=0`
 * without naming it), but when not named it ranks below every coding the header names.
 * Undefined when nothing available is acceptable.
 */
export function chooseCoding(
  header: string | undefined,
  available: readonly Coding[],
): Coding | undefined {
  if (header === undefined) return available.includes('identity') ? 'identity' : undefined;
  const weights = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    if (name === '') continue;
    const q = params
      .map((param) => /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/.exec(param)?.[1])
      .find(Boolean);
    weights.set(name.trim(), q === undefined ? 1 : Number(q));
  }
  const weight = (coding: Coding) =>
    weights.get(coding) ?? weights.get('*') ?? (coding === 'identity' ? IMPLICIT_IDENTITY : 0);
  let best: Coding | undefined;
  for (const coding of available) {
    const q = weight(coding);
    if (q > 0 && (best === undefined || q > weight(best))) best = coding;
  }
  return best;
}
