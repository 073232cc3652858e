/**
 * How the component tests run basket: the real app on a free port on either store — `memory`,
 * or `redis` against the real Redis of the run (test/global-setup.ts) under a key prefix of the
 * test's own — a small HTTP client, and data factories.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { listenOnFreePort, type RunningApp, testKit } from '@quadrants/service-kit/testing';
import type { Redis } from 'ioredis';
import { inject } from 'vitest';
import { createApp } from '../src/app.ts';
import type { BasketStore } from '../src/data/basket-store.ts';
import { createMemoryBasketStore } from '../src/data/memory-store.ts';
import { closeRedisClient, createRedisClient, redisResource } from '../src/data/redis.ts';
import { createRedisBasketStore } from '../src/data/redis-store.ts';
import type { BasketLimits } from '../src/domain/basket.ts';

/** A request that has not answered by then counts as a hang. */
const REQUEST_TIMEOUT_MS = 15_000;

export type StoreKind = 'memory' | 'redis';
export const storeKinds: readonly StoreKind[] = ['memory', 'redis'];

export const DEFAULT_LIMITS: BasketLimits = { maxLines: 50, maxQuantity: 99 };
export const IDLE_MS = 7 * 24 * 3600 * 1_000;

export interface StoreOptions {
  limits?: Partial<BasketLimits>;
  idleMs?: number;
  /** memory: most baskets held. */
  maxBaskets?: number;
  /** memory: the clock expiry runs on. */
  clock?: () => number;
  /** redis: the server (the run's by default) and the key prefix (a fresh one by default). */
  redisUrl?: string;
  keyPrefix?: string;
  commandTimeoutMs?: number;
}

export interface TestStore {
  store: BasketStore;
  /** redis: the service's own client, and the prefix its keys are under. */
  redis?: Redis;
  keyPrefix?: string;
  close(): Promise<void>;
}

/**
 * One store as main.ts makes it, for tests that talk to the store without HTTP. A Redis client
 * sends nothing before it is connected (no offline queue), so this waits until it is.
 */
export async function openStore(kind: StoreKind, options: StoreOptions = {}): Promise<TestStore> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const idleMs = options.idleMs ?? IDLE_MS;
  if (kind === 'memory') {
    const store = createMemoryBasketStore({
      idleMs,
      limits,
      maxBaskets: options.maxBaskets ?? 10_000,
      ...(options.clock ? { clock: options.clock } : {}),
    });
    return { store, close: async () => {} };
  }
  const redis = createRedisClient({
    url: options.redisUrl ?? inject('redisUrl'),
    connectTimeoutMs: 2_000,
    commandTimeoutMs: options.commandTimeoutMs ?? 5_000,
  });
  redis.on('error', () => {}); // a test that stops Redis expects the client to complain
  if (redis.status !== 'ready') await once(redis, 'ready');
  const keyPrefix = options.keyPrefix ?? `test:${randomUUID()}:`;
  return {
    store: createRedisBasketStore(redis, { keyPrefix, idleMs, limits }),
    redis,
    keyPrefix,
    close: () => closeRedisClient(redis),
  };
}

export interface BasketApp extends RunningApp, TestStore {
  api: BasketClient;
}

/** The real app on `kind`'s store, with the readiness check main.ts registers. */
export async function startBasket(kind: StoreKind, options: StoreOptions = {}): Promise<BasketApp> {
  const opened = await openStore(kind, options);
  const kit = testKit({ service: 'basket', bodyLimit: '8kb', readinessTimeoutMs: 3_000 });
  if (opened.redis) {
    const { name, ready } = redisResource(opened.redis);
    kit.health.addCheck(name, ready);
  }
  const running = await listenOnFreePort(
    createApp({ ...kit, store: opened.store, idleMs: options.idleMs ?? IDLE_MS }),
  );
  return {
    ...opened,
    ...running,
    api: basketClient(running.baseUrl),
    async close() {
      await running.close();
      await opened.close();
    },
  };
}

export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  type: string;
  body: T;
}

export interface LineJson {
  sku: string;
  quantity: number;
  unitPrice: number;
  currency: string;
  lineTotal: number;
}
export interface BasketJson {
  id: string;
  version: number;
  currency: string | null;
  lines: LineJson[];
  itemCount: number;
  subtotal: number;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
}
export interface ProblemJson {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { field: string; detail: string }[];
}

export interface NewLineJson {
  sku: string;
  quantity: number;
  unitPrice: number;
  currency: string;
}

/** Data factory: a line to add, with overrides. */
export const aLine = (overrides: Partial<NewLineJson> = {}): NewLineJson => ({
  sku: 'MUG-BLUE',
  quantity: 1,
  unitPrice: 1_250,
  currency: 'EUR',
  ...overrides,
});

export interface BasketClient {
  baseUrl: string;
  send<T = unknown>(
    method: string,
    path: string,
    options?: { body?: unknown; headers?: Record<string, string> },
  ): Promise<Answer<T>>;
  /** Creates a basket; throws unless it answers 201. */
  create(): Promise<BasketJson>;
  /** Adds a line; throws unless it answers 200. */
  add(id: string, line?: Partial<NewLineJson>): Promise<BasketJson>;
}

export function basketClient(baseUrl: string): BasketClient {
  const send: BasketClient['send'] = async (method, path, options = {}) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    return {
      status: response.status,
      headers: response.headers,
      type,
      body: (/json/.test(type) ? JSON.parse(text) : text) as never,
    };
  };
  const expect = async <T>(answer: Promise<Answer<T>>, status: number, what: string) => {
    const got = await answer;
    if (got.status !== status) {
      throw new Error(`${what} answered ${got.status}: ${JSON.stringify(got.body)}`);
    }
    return got.body;
  };
  return {
    baseUrl,
    send,
    create: () => expect(send<BasketJson>('POST', '/baskets'), 201, 'POST /baskets'),
    add: (id, line) =>
      expect(
        send<BasketJson>('POST', `/baskets/${id}/lines`, { body: aLine(line) }),
        200,
        'POST lines',
      ),
  };
}
