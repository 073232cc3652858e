// One simulated shopper of `pnpm load`: the storefront's journey (apps/storefront/src/main.ts),
// request by request, through one origin. The requests are planned by pure functions (path,
// body, the statuses that count as answered); `runJourney` sends them in order with global fetch,
// one W3C trace-id for the whole journey and a fresh parent-id per request, as the shop does, and
// reports each to LoadStats. A journey stops at its first error; if it had a basket by then, it
// still deletes it, so a failing run does not leave baskets behind until they expire.
import { randomBytes, randomUUID } from 'node:crypto';
import type { LoadStats, ServiceName } from './load-stats.ts';

/** services/transactions/seed/shop-accounts.json: the till and the shoppers, by reference. */
export interface ShopAccounts {
  currency: string;
  shop: { reference: string };
  shoppers: { reference: string }[];
}

export interface Product {
  sku: string;
  priceMinor: number;
  image: string;
}

export interface Store {
  lat: number;
  lon: number;
}

export interface PlannedRequest {
  service: ServiceName;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** The route with its ids left out, for error causes: POST /api/basket/baskets/{id}/lines. */
  route: string;
  /** The statuses that mean it worked; any other is an error, unless `declines` says so. */
  expect: readonly number[];
  /** True for an answer that is a business outcome (insufficient funds), not an error. */
  declines?: (status: number, body: unknown) => boolean;
  headers?: Record<string, string>;
  body?: string | FormData;
}

/** A random source in [0, 1): Math.random, or a fixed sequence in a test. */
export type Random = () => number;

const ALL_ZERO = /^0+$/;

/** A W3C trace-id: 32 lowercase hex, never all zeros (that one is invalid). */
export function newTraceId(): string {
  for (;;) {
    const id = randomBytes(16).toString('hex');
    if (!ALL_ZERO.test(id)) return id;
  }
}

/** `00-<trace-id>-<fresh parent-id>-01`, the storefront's header for every fetch. */
export function traceparent(traceId: string): string {
  let parent = randomBytes(8).toString('hex');
  while (ALL_ZERO.test(parent)) parent = randomBytes(8).toString('hex');
  return `00-${traceId}-${parent}-01`;
}

/** Which service answers `path` behind the one origin: /api/<name>/… or, else, static-site. */
export function serviceOf(path: string): ServiceName {
  const name = /^\/api\/([^/?]+)/.exec(path)?.[1];
  if (name === 'geo' || name === 'basket' || name === 'transactions' || name === 'uploads') {
    return name;
  }
  return 'static-site';
}

/** A shopper somewhere in Europe, from Lisbon to Moscow, Sicily to Trondheim. */
export function randomPosition(random: Random): { lat: number; lon: number } {
  const round = (value: number) => Math.round(value * 1e4) / 1e4;
  return { lat: round(37 + random() * 26), lon: round(-9.5 + random() * 47) };
}

/** 1–3 different products, as the shopper adds them one click each. */
export function pickProducts<T>(products: readonly T[], random: Random): T[] {
  const pool = [...products];
  const count = Math.min(pool.length, 1 + Math.floor(random() * 3));
  const picked: T[] = [];
  for (let i = 0; i < count; i++) {
    const [product] = pool.splice(Math.floor(random() * pool.length), 1);
    if (product !== undefined) picked.push(product);
  }
  return picked;
}

export function pickOne<T>(items: readonly T[], random: Random): T | undefined {
  return items[Math.floor(random() * items.length)];
}

const get = (path: string, route = path, expect: readonly number[] = [200]): PlannedRequest => ({
  service: serviceOf(path),
  method: 'GET',
  path,
  route: `GET ${route}`,
  expect,
});

const postJson = (
  path: string,
  route: string,
  body: unknown,
  expect: readonly number[],
): PlannedRequest => ({
  service: serviceOf(path),
  method: 'POST',
  path,
  route: `POST ${route}`,
  expect,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const problemCode = (body: unknown): unknown =>
  body !== null && typeof body === 'object' ? (body as { code?: unknown }).code : undefined;

/** The journey's requests, each as the storefront sends it. */
export const plan = {
  page: () => get('/shop/'),
  catalog: () => get('/shop/data/catalog.json'),
  image: (product: Product) => get(product.image, '/shop/images/{sku}'),
  stores: () => get('/shop/data/stores.json'),
  distance(from: { lat: number; lon: number }, to: Store): PlannedRequest {
    const query = new URLSearchParams({
      lat1: String(from.lat),
      lon1: String(from.lon),
      lat2: String(to.lat),
      lon2: String(to.lon),
    });
    return get(`/api/geo/geodesic/inverse?${query}`, '/api/geo/geodesic/inverse');
  },
  newBasket: (): PlannedRequest => ({
    service: 'basket',
    method: 'POST',
    path: '/api/basket/baskets',
    route: 'POST /api/basket/baskets',
    expect: [201],
  }),
  addLine: (basketId: string, product: Product, currency: string) =>
    postJson(
      `/api/basket/baskets/${encodeURIComponent(basketId)}/lines`,
      '/api/basket/baskets/{id}/lines',
      { sku: product.sku, quantity: 1, unitPrice: product.priceMinor, currency },
      [200],
    ),
  account: (reference: string) =>
    get(
      `/api/transactions/accounts?reference=${encodeURIComponent(reference)}`,
      '/api/transactions/accounts?reference=',
    ),
  pay(payment: { from: string; to: string; amount: number; basketId: string }): PlannedRequest {
    return {
      ...postJson(
        '/api/transactions/transfers',
        '/api/transactions/transfers',
        {
          fromAccountId: payment.from,
          toAccountId: payment.to,
          amount: payment.amount,
          reference: `order ${payment.basketId}`,
        },
        [201],
      ),
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      // services/transactions/src/http/errors.ts: a refusal is a 422 with its rule in `code`.
      declines: (status, body) =>
        (status === 422 || status === 409) && problemCode(body) === 'insufficient_funds',
    };
  },
  deleteBasket: (basketId: string): PlannedRequest => ({
    service: 'basket',
    method: 'DELETE',
    path: `/api/basket/baskets/${encodeURIComponent(basketId)}`,
    route: 'DELETE /api/basket/baskets/{id}',
    expect: [204],
  }),
  receipt(transferId: string, traceId: string): PlannedRequest {
    const form = new FormData();
    form.append('order', transferId);
    form.append(
      'file',
      new Blob([receiptText(transferId, traceId)], { type: 'text/plain' }),
      'receipt.txt',
    );
    return {
      service: 'uploads',
      method: 'POST',
      path: '/api/uploads/uploads',
      route: 'POST /api/uploads/uploads',
      // 200: the same bytes were stored before (an upload's id is their SHA-256).
      expect: [201, 200],
      headers: { 'idempotency-key': randomUUID() },
      body: form,
    };
  },
};

/** A small plain-text receipt; the transfer id makes its bytes, and so its upload, new. */
export function receiptText(transferId: string, traceId: string): string {
  return `Quadrants Shop — receipt\norder: ${transferId}\ntrace: ${traceId}\n(pnpm load)\n`;
}

/** What the journey reads from answers; each throws on an answer without it. */
const read = {
  products(body: unknown): Product[] {
    const products = (body as { products?: unknown })?.products;
    if (!Array.isArray(products) || products.length === 0) throw new Error('no products');
    return products as Product[];
  },
  stores(body: unknown): Store[] {
    const stores = (body as { stores?: unknown })?.stores;
    if (!Array.isArray(stores)) throw new Error('no stores');
    return stores as Store[];
  },
  id(body: unknown): string {
    const id = (body as { id?: unknown })?.id;
    if (typeof id !== 'string' || id === '') throw new Error('no id');
    return id;
  },
  subtotal(body: unknown): number {
    const subtotal = (body as { subtotal?: unknown })?.subtotal;
    if (typeof subtotal !== 'number') throw new Error('no subtotal');
    return subtotal;
  },
  /** The account found by its reference: GET /accounts?reference= answers `{accounts: [...]}`. */
  accountId(body: unknown): string {
    const list = (body as { accounts?: unknown } | null)?.accounts;
    const first: unknown = Array.isArray(list) ? list[0] : undefined;
    if (first === undefined) throw new Error('no such account (is the shop seeded?)');
    return read.id(first);
  },
};

export interface JourneyContext {
  origin: string;
  stats: LoadStats;
  accounts: ShopAccounts;
  /** Cuts every request short (Ctrl-C): they end as cancelled, not as errors. */
  signal: AbortSignal;
  timeoutMs: number;
  /** The chance of a receipt upload after a paid checkout. */
  uploadShare: number;
  random: Random;
}

/** Why a journey stopped early: an error, already counted, or Ctrl-C. */
class Stopped extends Error {
  readonly how: 'failed' | 'cancelled';
  constructor(how: 'failed' | 'cancelled') {
    super(how);
    this.how = how;
  }
}

interface Answer<T> {
  /** What `read` made of the body; undefined for a declined answer. */
  value: T | undefined;
  declined: boolean;
}

/** Reads what the journey needs from an answer's body; throws when it is not there. */
type Reader<T> = (body: unknown) => T;

/** Runs one journey; resolves with how it ended, never rejects. */
export async function runJourney(
  context: JourneyContext,
): Promise<'completed' | 'failed' | 'cancelled'> {
  const traceId = newTraceId();
  const { random } = context;
  // Each answer the journey goes on with is read inside sendOne, so that an answer without
  // what it needs (a catalog with no products) counts as that request's error.
  async function send<T>(request: PlannedRequest, reader: Reader<T>): Promise<T> {
    const answer = await sendOne(context, traceId, request, reader);
    return answer.value as T;
  }
  const ignore = () => undefined;
  let basketId: string | undefined;
  try {
    await send(plan.page(), ignore);
    const products = await send(plan.catalog(), read.products);
    const featured = pickOne(products, random);
    if (featured) await send(plan.image(featured), ignore);

    const stores = await send(plan.stores(), read.stores);
    const here = randomPosition(random);
    await Promise.all(stores.map((store) => send(plan.distance(here, store), ignore)));

    basketId = await send(plan.newBasket(), read.id);
    let subtotal = 0;
    for (const product of pickProducts(products, random)) {
      const line = plan.addLine(basketId, product, context.accounts.currency);
      subtotal = await send(line, read.subtotal);
    }

    const shopper = pickOne(context.accounts.shoppers, random) ?? context.accounts.shop;
    const from = await send(plan.account(shopper.reference), read.accountId);
    const to = await send(plan.account(context.accounts.shop.reference), read.accountId);
    const payment = plan.pay({ from, to, amount: subtotal, basketId });
    const paid = await sendOne(context, traceId, payment, read.id);
    context.stats.payment(paid.declined ? 'declined' : 'paid');

    const id = basketId;
    basketId = undefined;
    await send(plan.deleteBasket(id), ignore);
    if (paid.value !== undefined && random() < context.uploadShare) {
      await send(plan.receipt(paid.value, traceId), ignore);
    }
    return 'completed';
  } catch (error) {
    const how = error instanceof Stopped ? error.how : 'failed';
    if (how === 'failed' && basketId !== undefined) {
      await send(plan.deleteBasket(basketId), ignore).catch(ignore);
    }
    return how;
  }
}

/** Sends `request`, times it to the last byte of its body, reads and counts it; throws Stopped. */
async function sendOne<T>(
  context: JourneyContext,
  traceId: string,
  request: PlannedRequest,
  reader: Reader<T>,
): Promise<Answer<T>> {
  const { stats } = context;
  const signal = AbortSignal.any([context.signal, AbortSignal.timeout(context.timeoutMs)]);
  const started = performance.now();
  let status: number;
  let text: string;
  let contentType: string;
  try {
    const response = await fetch(`${context.origin}${request.path}`, {
      method: request.method,
      headers: {
        accept: 'application/json, application/problem+json, */*',
        traceparent: traceparent(traceId),
        ...request.headers,
      },
      ...(request.body === undefined ? {} : { body: request.body }),
      redirect: 'manual',
      signal,
    });
    status = response.status;
    contentType = response.headers.get('content-type') ?? '';
    text = await response.text();
  } catch (error) {
    if (context.signal.aborted) {
      stats.request(request.service, 'cancelled');
      throw new Stopped('cancelled');
    }
    const latency = performance.now() - started;
    stats.request(
      request.service,
      'error',
      latency,
      `${request.route}: ${failure(error, context)}`,
    );
    throw new Stopped('failed');
  }
  const latency = performance.now() - started;
  const fail = (detail: string): never => {
    stats.request(request.service, 'error', latency, `${request.route}: ${detail}`);
    throw new Stopped('failed');
  };
  const body = contentType.includes('json') ? parseJson(text) : undefined;
  if (request.expect.includes(status)) {
    let value: T;
    try {
      value = reader(body);
    } catch (error) {
      return fail(`${status} without what the shop reads (${(error as Error).message})`);
    }
    stats.request(request.service, 'ok', latency);
    return { value, declined: false };
  }
  if (request.declines?.(status, body)) {
    stats.request(request.service, 'declined', latency);
    return { value: undefined, declined: true };
  }
  const code = problemCode(body);
  return fail(typeof code === 'string' ? `${status} ${code}` : String(status));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A fetch failure as a cause: the timeout, or the socket's code (ECONNREFUSED). */
function failure(error: unknown, context: JourneyContext): string {
  const e = error as Error & { cause?: { code?: unknown; message?: unknown } };
  if (e.name === 'TimeoutError') return `no answer within ${context.timeoutMs / 1000} s`;
  const code = e.cause?.code;
  if (typeof code === 'string') return code;
  return typeof e.cause?.message === 'string' ? e.cause.message : e.message;
}
