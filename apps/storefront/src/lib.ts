// Pure helpers of the shop: no DOM, no fetch, so vitest tests them directly.

/** Lowercase hex of n random bytes. */
export function randomHex(
  bytes: number,
  rand: (a: Uint8Array) => Uint8Array = (a) => crypto.getRandomValues(a),
): string {
  return Array.from(rand(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
}

const ALL_ZERO = /^0+$/;

/** A W3C trace-id: 32 hex, never all zeros (an all-zero id is invalid and would start a new trace). */
export function newTraceId(rand?: (a: Uint8Array) => Uint8Array): string {
  for (;;) {
    const id = randomHex(16, rand);
    if (!ALL_ZERO.test(id)) return id;
  }
}

/** `00-<trace-id>-<fresh 16-hex parent-id>-01`: one trace per journey, one parent per fetch. */
export function traceparent(traceId: string, rand?: (a: Uint8Array) => Uint8Array): string {
  let parent = randomHex(8, rand);
  while (ALL_ZERO.test(parent)) parent = randomHex(8);
  return `00-${traceId}-${parent}-01`;
}

export const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;

/** Minimal storage shape (sessionStorage/localStorage, or a Map in tests). */
export interface KeyValue {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The journey's trace-id, kept until an order is placed. */
export function journeyTraceId(store: KeyValue): string {
  let id = store.getItem('shop.traceId');
  if (id === null || !/^[0-9a-f]{32}$/.test(id) || ALL_ZERO.test(id)) {
    id = newTraceId();
    store.setItem('shop.traceId', id);
  }
  return id;
}

export function endJourney(store: KeyValue): void {
  store.removeItem('shop.traceId');
}

/**
 * One Idempotency-Key per checkout attempt: made on first pay, reused on every retry, double
 * click or reload while the attempt is the same (same basket, same payer, same amount); a
 * different attempt gets a new key, and a finished one drops it.
 */
export function checkoutKey(
  store: KeyValue,
  attempt: string,
  make: () => string = () => crypto.randomUUID(),
): string {
  const raw = store.getItem('shop.checkout');
  if (raw !== null) {
    try {
      const saved = JSON.parse(raw) as { attempt?: unknown; key?: unknown };
      if (saved.attempt === attempt && typeof saved.key === 'string') return saved.key;
    } catch {
      // a damaged entry is replaced below
    }
  }
  const key = make();
  store.setItem('shop.checkout', JSON.stringify({ attempt, key }));
  return key;
}

export function finishCheckout(store: KeyValue): void {
  store.removeItem('shop.checkout');
}

/** Minor units → "€12.50" (en-IE style, the currency's own symbol). */
export function formatMoney(minor: number, currency = 'EUR', locale = 'en-IE'): string {
  return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(minor / 100);
}

export function formatDistance(metres: number): string {
  if (metres < 1000) return `${Math.round(metres)} m`;
  if (metres < 100_000) return `${(metres / 1000).toFixed(1)} km`;
  return `${Math.round(metres / 1000).toLocaleString('en-IE')} km`;
}

export interface Store {
  id: string;
  name: string;
  city: string;
  lat: number;
  lon: number;
}

/** The store with the smallest distance; ties go to the first listed; NaN distances never win. */
export function nearest<T>(
  items: readonly { item: T; distance: number }[],
): { item: T; distance: number } | undefined {
  let best: { item: T; distance: number } | undefined;
  for (const c of items) {
    if (!Number.isFinite(c.distance)) continue;
    if (best === undefined || c.distance < best.distance) best = c;
  }
  return best;
}

/** What the shop shows of a failed call. */
export interface ApiError {
  status: number;
  title: string;
  detail: string;
  code: string | undefined;
  traceId: string | undefined;
}

/** Reads an RFC 9457 problem body (or anything else) into an ApiError; never throws. */
export function parseProblem(
  status: number,
  body: string,
  headerTraceparent?: string | null,
): ApiError {
  let p: Record<string, unknown> = {};
  try {
    const v: unknown = JSON.parse(body);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) p = v as Record<string, unknown>;
  } catch {
    // not JSON: a proxy's HTML page, say
  }
  const str = (k: string) =>
    typeof p[k] === 'string' && p[k] !== '' ? (p[k] as string) : undefined;
  const fromHeader = headerTraceparent?.split('-')[1];
  return {
    status,
    title: str('title') ?? `HTTP ${status}`,
    detail:
      str('detail') ??
      str('title') ??
      (status === 0 ? 'the network request failed' : `the server answered ${status}`),
    code: str('code'),
    traceId:
      str('traceId') ?? (fromHeader && /^[0-9a-f]{32}$/.test(fromHeader) ? fromHeader : undefined),
  };
}

/** One line for the page: detail, code, and the trace id to quote. */
export function describeError(e: ApiError): string {
  const code = e.code === undefined ? '' : ` (${e.code})`;
  const trace = e.traceId === undefined ? '' : ` — quote trace id ${e.traceId}`;
  return `${e.detail}${code}${trace}`;
}

/** Finds the first {lat, lon} numbers anywhere in a geo answer. */
export function findLatLon(v: unknown): { lat: number; lon: number } | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.lat === 'number' && typeof o.lon === 'number') return { lat: o.lat, lon: o.lon };
  for (const x of Object.values(o)) {
    const r = findLatLon(x);
    if (r) return r;
  }
  return undefined;
}
