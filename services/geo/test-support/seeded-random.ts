/**
 * Test data that geo's tests and the benchmarks in bench/ both use, exported as
 * `@quadrants/geo/testing`. It lives outside src/ because it is not part of the service (it
 * is never built into dist/ or shipped in the image) and outside test/ because test/ is geo's
 * own suite, which no other package should reach into.
 */

/** mulberry32: small, fast and the same sequence on every run and platform for a seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
