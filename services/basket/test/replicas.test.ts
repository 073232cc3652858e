/**
 * Two replicas on one Redis, as Kubernetes runs basket: every change is one atomic step in the
 * store, so concurrent writers through different replicas never lose an update. And the idle
 * expiry: every write renews it, a read does not, and an expired basket is gone.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  aLine,
  type BasketApp,
  type BasketJson,
  type ProblemJson,
  startBasket,
} from './basket-app.ts';

describe('two replicas on one Redis', () => {
  let one: BasketApp;
  let two: BasketApp;
  beforeAll(async () => {
    const keyPrefix = `test:${randomUUID()}:`;
    const options = { keyPrefix, limits: { maxQuantity: 5_000, maxLines: 50 } };
    one = await startBasket('redis', options);
    two = await startBasket('redis', options);
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
  });

  test('see the same basket', async () => {
    const { id } = await one.api.create();
    await two.api.add(id, { sku: 'MUG' });
    const read = await one.api.send<BasketJson>('GET', `/baskets/${id}`);
    expect(read.body.lines).toHaveLength(1);
  });

  test('adding the same SKU at the same moment through both gives the exact sum', async () => {
    const { id } = await one.api.create();
    const adds = 400;
    const answers = await Promise.all(
      Array.from({ length: adds }, (_, i) =>
        (i % 2 === 0 ? one : two).api.send('POST', `/baskets/${id}/lines`, {
          body: aLine({ sku: 'MUG', quantity: (i % 3) + 1 }),
        }),
      ),
    );
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    const expected = Array.from({ length: adds }, (_, i) => (i % 3) + 1).reduce((a, b) => a + b);
    const basket = await two.api.send<BasketJson>('GET', `/baskets/${id}`);
    expect(basket.body.lines).toEqual([
      expect.objectContaining({ sku: 'MUG', quantity: expected }),
    ]);
    expect(basket.body.version).toBe(1 + adds);
  });

  test('different SKUs added at once through both all land', async () => {
    const { id } = await one.api.create();
    const skus = Array.from({ length: 40 }, (_, i) => `SKU-${i}`);
    await Promise.all(
      skus.map((sku, i) => (i % 2 === 0 ? one : two).api.add(id, { sku, quantity: 2 })),
    );
    const basket = await one.api.send<BasketJson>('GET', `/baskets/${id}`);
    expect(basket.body.lines.map((l) => l.sku).sort()).toEqual([...skus].sort());
    expect(basket.body.itemCount).toBe(80);
  });

  test('of many writers with the same If-Match, exactly one wins and the rest answer 412', async () => {
    const { id } = await one.api.create();
    await one.api.add(id, { sku: 'MUG', quantity: 1 });
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (i % 2 === 0 ? one : two).api.send<ProblemJson>('PATCH', `/baskets/${id}/lines/MUG`, {
          body: { quantity: i + 2 },
          headers: { 'If-Match': '"2"' },
        }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(29);
    const basket = await one.api.send<BasketJson>('GET', `/baskets/${id}`);
    expect(basket.body.version).toBe(3);
  });
});

describe('idle expiry', () => {
  test('on Redis, every write sets the key to live BASKET_IDLE_SECONDS more; a read does not', async () => {
    const idleMs = 3_600_000;
    const app = await startBasket('redis', { idleMs });
    try {
      const redis = app.redis;
      if (!redis) throw new Error('the redis store has a client');
      const { id } = await app.api.create();
      const key = `${app.keyPrefix}${id}`;
      const created = await redis.pttl(key);
      expect(created).toBeGreaterThan(idleMs - 60_000);
      expect(created).toBeLessThanOrEqual(idleMs);
      await redis.pexpire(key, 10_000); // as if most of the hour had passed
      await app.api.send('GET', `/baskets/${id}`);
      expect(await redis.pttl(key)).toBeLessThanOrEqual(10_000);
      await app.api.add(id);
      expect(await redis.pttl(key)).toBeGreaterThan(idleMs - 60_000);
    } finally {
      await app.close();
    }
  });

  test('on Redis, a basket past its time to live answers 404', async () => {
    const app = await startBasket('redis');
    try {
      const { id } = await app.api.create();
      await app.redis?.pexpire(`${app.keyPrefix}${id}`, 50); // as if its idle time had passed
      let answer = await app.api.send<ProblemJson>('GET', `/baskets/${id}`);
      // Redis expires the key itself; bounded, as a loaded machine may be slow to get there.
      for (let i = 0; i < 100 && answer.status === 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        answer = await app.api.send<ProblemJson>('GET', `/baskets/${id}`);
      }
      expect(answer.status).toBe(404);
      expect(answer.body.code).toBe('basket_not_found');
    } finally {
      await app.close();
    }
  });

  test('in memory, a basket expires BASKET_IDLE_SECONDS after its last write', async () => {
    let now = 1_000_000;
    const app = await startBasket('memory', { idleMs: 1_000, clock: () => now });
    try {
      const { id } = await app.api.create();
      now += 900;
      await app.api.add(id); // renews
      now += 900;
      expect((await app.api.send('GET', `/baskets/${id}`)).status).toBe(200);
      now += 101;
      expect((await app.api.send('GET', `/baskets/${id}`)).status).toBe(404);
    } finally {
      await app.close();
    }
  });

  test('in memory, a full store answers 507 basket_store_full until a basket expires', async () => {
    let now = 1_000_000;
    const app = await startBasket('memory', { idleMs: 1_000, maxBaskets: 2, clock: () => now });
    try {
      const first = await app.api.create();
      await app.api.create();
      const full = await app.api.send<ProblemJson>('POST', '/baskets');
      expect(full.status).toBe(507);
      expect(full.body.code).toBe('basket_store_full');
      // what is stored still reads and changes
      expect((await app.api.add(first.id)).itemCount).toBe(1);
      now += 1_001;
      expect((await app.api.send('POST', '/baskets')).status).toBe(201);
    } finally {
      await app.close();
    }
  });
});
