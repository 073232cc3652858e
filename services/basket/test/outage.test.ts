/**
 * When Redis is gone, hangs, or is full: requests answer problem+json within a bounded time
 * (503, or 507 when full), readiness says so, nothing is half-applied, and the service recovers
 * by itself when Redis returns. A Redis container of this file's own, which it stops and pauses.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RedisServer, startRedis } from '../test-support/redis.ts';
import {
  aLine,
  type BasketApp,
  type BasketJson,
  type ProblemJson,
  startBasket,
} from './basket-app.ts';

/** Polls `check` until it holds: recovery is the client reconnecting, which takes its time. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the condition did not come true in time');
}

/** docker stop / docker start of the container: down for as long as the test needs. */
const docker = (...args: string[]) => promisify(execFile)('docker', args, { timeout: 120_000 });

let server: RedisServer;
let app: BasketApp;
beforeAll(async () => {
  server = await startRedis({ ownContainer: true });
  app = await startBasket('redis', { redisUrl: server.url, commandTimeoutMs: 1_000 });
});
afterAll(async () => {
  await app?.close();
  await server?.stop();
});

const ready = async () => (await fetch(`${app.baseUrl}/readyz`)).status === 200;

describe('when Redis restarts (persistence off)', () => {
  test('requests answer 503 store_unavailable with Retry-After while it is down, then it recovers by itself with every basket gone', async () => {
    const { id } = await app.api.create();
    await app.api.add(id, { quantity: 2 });
    const container = server.container?.getId() ?? '';
    await docker('stop', '--time', '10', container);
    try {
      const during = await app.api.send<ProblemJson>('POST', `/baskets/${id}/lines`, {
        body: aLine(),
      });
      expect(during.status).toBe(503);
      expect(during.type).toMatch(/^application\/problem\+json/);
      expect(during.body.code).toBe('store_unavailable');
      expect(during.headers.get('retry-after')).toBe('1');
      const read = await app.api.send<ProblemJson>('GET', `/baskets/${id}`);
      expect(read.status).toBe(503);
      expect(await ready()).toBe(false);
    } finally {
      await docker('start', container);
    }
    await eventually(ready);
    // Quadrant D's trade-off: the basket lived only in Redis's memory.
    const after = await app.api.send<ProblemJson>('GET', `/baskets/${id}`);
    expect(after.status).toBe(404);
    expect(after.body.code).toBe('basket_not_found');
    expect((await app.api.send('POST', '/baskets')).status).toBe(201);
  });
});

describe('when Redis hangs (paused)', () => {
  test('a request answers 503 after the command timeout instead of hanging, and readiness fails; unpaused, all is as before', async () => {
    const { id } = await app.api.create();
    await app.api.add(id, { quantity: 2 });
    await server.pause();
    try {
      const during = await app.api.send<ProblemJson>('PATCH', `/baskets/${id}/lines/MUG-BLUE`, {
        body: { quantity: 7 },
        headers: { 'If-Match': '"2"' },
      });
      expect(during.status).toBe(503);
      expect(during.body.code).toBe('store_unavailable');
      expect(await ready()).toBe(false);
    } finally {
      await server.unpause();
    }
    await eventually(ready);
    // The timed-out write may have run once Redis woke; If-Match makes the retry safe either way.
    const retry = await app.api.send<BasketJson>('PATCH', `/baskets/${id}/lines/MUG-BLUE`, {
      body: { quantity: 7 },
      headers: { 'If-Match': '"2"' },
    });
    const basket = await app.api.send<BasketJson>('GET', `/baskets/${id}`);
    expect([200, 412]).toContain(retry.status);
    expect(basket.body.lines).toEqual([expect.objectContaining({ quantity: 7 })]);
    expect(basket.body.version).toBe(3);
  });
});

describe('when Redis is full (maxmemory, noeviction)', () => {
  test('a write that adds answers 507 basket_store_full and changes nothing; reads and removals keep working; nothing was evicted', async () => {
    const redis = app.redis;
    if (!redis) throw new Error('the redis store has a client');
    const { id } = await app.api.create();
    await app.api.add(id, { quantity: 2 });
    const used = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
    await redis.config('SET', 'maxmemory', String(used + 512 * 1024));
    try {
      // Fill what is left with baskets until Redis refuses; bounded, each is a few hundred bytes.
      let refused: { status: number; body: ProblemJson } | undefined;
      const kept: string[] = [];
      for (let i = 0; i < 20_000 && !refused; i++) {
        const answer = await app.api.send<BasketJson & ProblemJson>('POST', '/baskets');
        if (answer.status === 201) kept.push(answer.body.id);
        else refused = answer;
      }
      expect(refused?.status).toBe(507);
      expect(refused?.body.code).toBe('basket_store_full');
      const add = await app.api.send<ProblemJson>('POST', `/baskets/${id}/lines`, {
        body: aLine({ sku: 'ANOTHER' }),
      });
      expect(add.status).toBe(507);
      const more = await app.api.send('PATCH', `/baskets/${id}/lines/MUG-BLUE`, {
        body: { quantity: 3 },
      });
      expect(more.status).toBe(507);
      const basket = await app.api.send<BasketJson>('GET', `/baskets/${id}`);
      expect(basket.status).toBe(200);
      expect(basket.body.lines).toHaveLength(1);
      expect(basket.body.version).toBe(2);
      // noeviction: every basket that was acknowledged is still there
      const first = kept[0];
      expect(first && (await app.api.send('GET', `/baskets/${first}`)).status).toBe(200);
      expect(/evicted_keys:(\d+)/.exec(await redis.info('stats'))?.[1]).toBe('0');
      // Taking things out still works: those scripts may run on a full store (allow-oom).
      const removed = await app.api.send<BasketJson>('DELETE', `/baskets/${id}/lines/MUG-BLUE`);
      expect(removed.status).toBe(200);
      expect(removed.body.lines).toEqual([]);
      expect((await app.api.send('DELETE', `/baskets/${first}/lines`)).status).toBe(200);
      expect((await app.api.send('DELETE', `/baskets/${first}`)).status).toBe(204);
    } finally {
      await redis.config('SET', 'maxmemory', '96mb');
    }
    expect((await app.api.send('POST', `/baskets/${id}/lines`, { body: aLine() })).status).toBe(
      200,
    );
  });
});
