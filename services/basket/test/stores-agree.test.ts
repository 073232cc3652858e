/**
 * The two stores keep one set of rules twice: in TypeScript (domain/basket.ts, which the memory
 * store runs) and in Lua (data/basket-scripts.ts, which Redis runs). Random sequences of changes,
 * with preconditions right and wrong, must leave both in the same state with the same answers.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BasketChange, Precondition } from '../src/domain/basket.ts';
import { openStore, type TestStore } from './basket-app.ts';

const limits = { maxLines: 4, maxQuantity: 12 };

const sku = fc.constantFrom('A', 'B', 'C', 'D', 'E');
// Weighted towards adds, so that baskets fill up to their limits often.
const change: fc.Arbitrary<BasketChange> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('addLine' as const),
      sku,
      quantity: fc.integer({ min: 1, max: 14 }),
      unitPrice: fc.integer({ min: 0, max: 1_000_000_000 }),
      currency: fc.constantFrom('EUR', 'EUR', 'EUR', 'EUR', 'USD'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('setQuantity' as const),
      sku,
      quantity: fc.integer({ min: 1, max: 14 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeLine' as const), sku }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const) }) },
);
/** No precondition, any, the right version, or a wrong one (offset from the current). */
const precondition = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant('*' as const) },
  { weight: 2, arbitrary: fc.constant('current' as const) },
  { weight: 1, arbitrary: fc.integer({ min: -2, max: 2 }).filter((offset) => offset !== 0) },
);

/** What a call answered, comparable across stores: the basket, or the error's kind and code. */
async function outcome(call: () => Promise<unknown>) {
  try {
    return { ok: await call() };
  } catch (error) {
    // Everything a caller could tell apart: the kind, the code, the field at fault, the version now.
    const { name, code, field, current } = error as Record<string, unknown>;
    return { error: name, code, field, current };
  }
}

describe('the memory and Redis stores', () => {
  let memory: TestStore;
  let redis: TestStore;
  beforeAll(async () => {
    memory = await openStore('memory', { limits });
    redis = await openStore('redis', { limits });
  });
  afterAll(async () => {
    await memory.close();
    await redis.close();
  });

  test('answer every sequence of changes alike, and end in the same basket', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(change, precondition), { minLength: 1, maxLength: 30 }),
        async (steps) => {
          const now = 1_800_000_000_000;
          const a = await memory.store.create(now);
          const b = await redis.store.create(now);
          expect(b.basket).toEqual(a.basket);
          let version = 1;
          for (const [[step, wanted], i] of steps.map((s, i) => [s, i] as const)) {
            const condition: Precondition | undefined =
              wanted === undefined || wanted === '*'
                ? wanted
                : [wanted === 'current' ? version : version + wanted];
            const options = { now: now + i, ...(condition ? { precondition: condition } : {}) };
            const left = await outcome(() => memory.store.change(a.id, step, options));
            const right = await outcome(() => redis.store.change(b.id, step, options));
            expect(right, JSON.stringify({ step, condition })).toEqual(left);
            if ('ok' in left) version += 1;
          }
          expect(await redis.store.get(b.id)).toEqual(await memory.store.get(a.id));
        },
      ),
      { numRuns: 200 },
    );
  });

  test('delete alike, with and without a precondition', async () => {
    for (const open of [memory, redis]) {
      const { id } = await open.store.create(1);
      await expect(open.store.remove(id, { precondition: [2] })).rejects.toMatchObject({
        name: 'VersionMismatch',
        current: 1,
      });
      await open.store.remove(id, { precondition: [1] });
      await expect(open.store.get(id)).resolves.toBeUndefined();
      await expect(open.store.remove(id, {})).rejects.toMatchObject({ name: 'BasketNotFound' });
    }
  });
});
