/**
 * The basket API, one suite run against both stores: whatever BASKET_STORE says, a shopper
 * gets the same answers. Redis is the run's real server (test/global-setup.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  aLine,
  type BasketApp,
  type BasketJson,
  type ProblemJson,
  startBasket,
  storeKinds,
} from './basket-app.ts';

describe.each(storeKinds)('on the %s store', (kind) => {
  let app: BasketApp;
  beforeAll(async () => {
    app = await startBasket(kind, { limits: { maxLines: 3, maxQuantity: 10 } });
  });
  afterAll(() => app.close());

  describe('POST /baskets', () => {
    test('answers 201 with an empty basket at version 1, its Location and ETag', async () => {
      const answer = await app.api.send<BasketJson>('POST', '/baskets');
      expect(answer.status).toBe(201);
      const basket = answer.body;
      expect(basket.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(answer.headers.get('location')).toBe(`/baskets/${basket.id}`);
      expect(answer.headers.get('etag')).toBe('"1"');
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(basket).toMatchObject({
        version: 1,
        currency: null,
        lines: [],
        itemCount: 0,
        subtotal: 0,
      });
      expect(Date.parse(basket.expiresAt) - Date.parse(basket.updatedAt)).toBe(7 * 24 * 3600_000);
    });

    test('gives every basket an id of its own', async () => {
      const ids = await Promise.all(Array.from({ length: 20 }, () => app.api.create()));
      expect(new Set(ids.map((b) => b.id)).size).toBe(20);
    });

    test('when the body has fields, answers 400 naming them', async () => {
      const answer = await app.api.send<ProblemJson>('POST', '/baskets', { body: { owner: 'x' } });
      expect(answer.status).toBe(400);
      expect(answer.type).toMatch(/^application\/problem\+json/);
      expect(answer.body.detail).toMatch(/owner/);
    });
  });

  describe('GET /baskets/{id}', () => {
    test('answers the basket with its lines, totals and ETag', async () => {
      const { id } = await app.api.create();
      await app.api.add(id, { sku: 'MUG', quantity: 2, unitPrice: 1_250 });
      await app.api.add(id, { sku: 'TEA', quantity: 3, unitPrice: 499 });
      const answer = await app.api.send<BasketJson>('GET', `/baskets/${id}`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('etag')).toBe('"3"');
      expect(answer.body).toMatchObject({
        id,
        version: 3,
        currency: 'EUR',
        itemCount: 5,
        subtotal: 2 * 1_250 + 3 * 499,
        lines: [
          { sku: 'MUG', quantity: 2, unitPrice: 1_250, currency: 'EUR', lineTotal: 2_500 },
          { sku: 'TEA', quantity: 3, unitPrice: 499, currency: 'EUR', lineTotal: 1_497 },
        ],
      });
    });

    test('with If-None-Match of the current ETag, answers 304 without a body', async () => {
      const { id } = await app.api.create();
      const answer = await app.api.send('GET', `/baskets/${id}`, {
        headers: { 'If-None-Match': '"1"' },
      });
      expect(answer.status).toBe(304);
      expect(answer.body).toBe('');
      expect(answer.headers.get('etag')).toBe('"1"');
      const changed = await app.api.add(id);
      const after = await app.api.send('GET', `/baskets/${id}`, {
        headers: { 'If-None-Match': '"1"' },
      });
      expect(after.status).toBe(200);
      expect(after.headers.get('etag')).toBe(`"${changed.version}"`);
    });

    test.each([
      ['an id no basket has', 'AAAAAAAAAAAAAAAAAAAAAA'],
      ['a malformed id', '..%2F..%2Fetc'],
      ['a key-like id', 'basket:*'],
    ])('for %s, answers 404 basket_not_found', async (_what, id) => {
      const answer = await app.api.send<ProblemJson>('GET', `/baskets/${id}`);
      expect(answer.status).toBe(404);
      expect(answer.body.code).toBe('basket_not_found');
    });
  });

  describe('POST /baskets/{id}/lines', () => {
    test('adds a line, and adding the same SKU again adds to its quantity at the latest price', async () => {
      const { id } = await app.api.create();
      await app.api.add(id, { sku: 'MUG', quantity: 2, unitPrice: 1_000 });
      const basket = await app.api.add(id, { sku: 'MUG', quantity: 3, unitPrice: 900 });
      expect(basket.lines).toEqual([
        { sku: 'MUG', quantity: 5, unitPrice: 900, currency: 'EUR', lineTotal: 4_500 },
      ]);
      expect(basket.version).toBe(3);
    });

    test('keeps lines in the order their SKUs were first added', async () => {
      const { id } = await app.api.create();
      for (const sku of ['C', 'A', 'B', 'A']) await app.api.add(id, { sku });
      const basket = await app.api.add(id, { sku: 'C' });
      expect(basket.lines.map((l) => [l.sku, l.quantity])).toEqual([
        ['C', 2],
        ['A', 2],
        ['B', 1],
      ]);
    });

    test('when one more SKU would pass BASKET_MAX_LINES, answers 422 too_many_lines and keeps the basket', async () => {
      const { id } = await app.api.create();
      for (const sku of ['A', 'B', 'C']) await app.api.add(id, { sku });
      const answer = await app.api.send<ProblemJson>('POST', `/baskets/${id}/lines`, {
        body: aLine({ sku: 'D' }),
      });
      expect(answer.status).toBe(422);
      expect(answer.body.code).toBe('too_many_lines');
      expect(answer.body.detail).toMatch(/at most 3/);
      const kept = await app.api.send<BasketJson>('GET', `/baskets/${id}`);
      expect(kept.body.version).toBe(4);
      expect(kept.body.lines).toHaveLength(3);
      // an existing SKU still takes more
      expect((await app.api.add(id, { sku: 'A' })).lines[0]?.quantity).toBe(2);
    });

    test.each([
      ['one add is above the limit', [11]],
      ['the sum would pass the limit', [6, 5]],
    ])('when %s, answers 422 quantity_limit', async (_what, quantities) => {
      const { id } = await app.api.create();
      const answers = [];
      for (const quantity of quantities) {
        answers.push(
          await app.api.send<ProblemJson>('POST', `/baskets/${id}/lines`, {
            body: aLine({ quantity }),
          }),
        );
      }
      const last = answers.at(-1);
      expect(last?.status).toBe(422);
      expect(last?.body.code).toBe('quantity_limit');
      const kept = await app.api.send<BasketJson>('GET', `/baskets/${id}`);
      expect(kept.body.itemCount).toBe(quantities.length === 1 ? 0 : 6);
    });

    test('when the currency is not the basket’s, answers 422 currency_mismatch; an emptied basket takes any', async () => {
      const { id } = await app.api.create();
      await app.api.add(id, { currency: 'EUR' });
      const answer = await app.api.send<ProblemJson>('POST', `/baskets/${id}/lines`, {
        body: aLine({ sku: 'X', currency: 'USD' }),
      });
      expect(answer.status).toBe(422);
      expect(answer.body.code).toBe('currency_mismatch');
      expect(answer.body.errors).toEqual([{ field: 'currency', detail: expect.any(String) }]);
      await app.api.send('DELETE', `/baskets/${id}/lines`);
      const usd = await app.api.add(id, { sku: 'X', currency: 'USD' });
      expect(usd.currency).toBe('USD');
    });

    test.each([
      ['no sku', { quantity: 1, unitPrice: 1, currency: 'EUR' }, 'sku'],
      ['a sku with a slash', aLine({ sku: '../etc' }), 'sku'],
      ['a sku of 65 characters', aLine({ sku: 'A'.repeat(65) }), 'sku'],
      ['quantity 0', aLine({ quantity: 0 }), 'quantity'],
      ['a fractional quantity', aLine({ quantity: 1.5 }), 'quantity'],
      ['a quantity as a string', { ...aLine(), quantity: '2' }, 'quantity'],
      ['a negative price', aLine({ unitPrice: -1 }), 'unitPrice'],
      ['a price past 10^9', aLine({ unitPrice: 1_000_000_001 }), 'unitPrice'],
      ['a currency in lower case', aLine({ currency: 'eur' }), 'currency'],
      ['a currency that is no ISO 4217 code', aLine({ currency: 'XYZ' }), 'currency'],
      ['an unknown field', { ...aLine(), discount: 5 }, 'discount'],
      ['an array', [aLine()], '(root)'],
    ])('for %s, answers 400 naming the field and changes nothing', async (_what, body, field) => {
      const { id } = await app.api.create();
      const answer = await app.api.send<ProblemJson>('POST', `/baskets/${id}/lines`, { body });
      expect(answer.status).toBe(400);
      expect(answer.type).toMatch(/^application\/problem\+json/);
      expect(answer.body.detail).toContain(field);
      const kept = await app.api.send<BasketJson>('GET', `/baskets/${id}`);
      expect(kept.body.version).toBe(1);
    });

    test('when the body is not JSON, answers 415; when it is too large, 413', async () => {
      const { id } = await app.api.create();
      const text = await fetch(`${app.baseUrl}/baskets/${id}/lines`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'sku=MUG',
      });
      expect(text.status).toBe(415);
      const large = await app.api.send('POST', `/baskets/${id}/lines`, {
        body: { ...aLine(), padding: 'x'.repeat(10_000) },
      });
      expect(large.status).toBe(413);
    });

    test('for a basket that does not exist, answers 404 and creates nothing', async () => {
      const id = 'BBBBBBBBBBBBBBBBBBBBBB';
      const answer = await app.api.send<ProblemJson>('POST', `/baskets/${id}/lines`, {
        body: aLine(),
      });
      expect(answer.status).toBe(404);
      expect(answer.body.code).toBe('basket_not_found');
      expect((await app.api.send('GET', `/baskets/${id}`)).status).toBe(404);
    });
  });

  describe('PATCH /baskets/{id}/lines/{sku}', () => {
    test('sets the quantity of a line', async () => {
      const { id } = await app.api.create();
      await app.api.add(id, { sku: 'MUG', quantity: 4 });
      const answer = await app.api.send<BasketJson>('PATCH', `/baskets/${id}/lines/MUG`, {
        body: { quantity: 2 },
      });
      expect(answer.status).toBe(200);
      expect(answer.body.lines[0]?.quantity).toBe(2);
      expect(answer.headers.get('etag')).toBe('"3"');
    });

    test('for a SKU the basket lacks, answers 404 line_not_found', async () => {
      const { id } = await app.api.create();
      const answer = await app.api.send<ProblemJson>('PATCH', `/baskets/${id}/lines/NOPE`, {
        body: { quantity: 2 },
      });
      expect(answer.status).toBe(404);
      expect(answer.body.code).toBe('line_not_found');
    });

    test('above BASKET_MAX_QUANTITY answers 422 quantity_limit; 0 or no quantity answers 400', async () => {
      const { id } = await app.api.create();
      await app.api.add(id, { sku: 'MUG' });
      const over = await app.api.send<ProblemJson>('PATCH', `/baskets/${id}/lines/MUG`, {
        body: { quantity: 11 },
      });
      expect(over.status).toBe(422);
      expect(over.body.code).toBe('quantity_limit');
      for (const body of [{ quantity: 0 }, {}]) {
        const bad = await app.api.send('PATCH', `/baskets/${id}/lines/MUG`, { body });
        expect(bad.status).toBe(400);
      }
      const badSku = await app.api.send<ProblemJson>('PATCH', `/baskets/${id}/lines/%00x`, {
        body: { quantity: 1 },
      });
      expect(badSku.status).toBe(400);
      expect(badSku.body.detail).toMatch(/sku/);
    });
  });

  describe('DELETE /baskets/{id}/lines/{sku} and /lines', () => {
    test('removes one line, then clears the rest and frees the currency', async () => {
      const { id } = await app.api.create();
      await app.api.add(id, { sku: 'A' });
      await app.api.add(id, { sku: 'B' });
      const removed = await app.api.send<BasketJson>('DELETE', `/baskets/${id}/lines/A`);
      expect(removed.status).toBe(200);
      expect(removed.body.lines.map((l) => l.sku)).toEqual(['B']);
      const again = await app.api.send<ProblemJson>('DELETE', `/baskets/${id}/lines/A`);
      expect(again.status).toBe(404);
      expect(again.body.code).toBe('line_not_found');
      const cleared = await app.api.send<BasketJson>('DELETE', `/baskets/${id}/lines`);
      expect(cleared.status).toBe(200);
      expect(cleared.body).toMatchObject({ lines: [], currency: null, itemCount: 0, version: 5 });
    });
  });

  describe('DELETE /baskets/{id}', () => {
    test('answers 204, after which the basket is gone', async () => {
      const { id } = await app.api.create();
      expect((await app.api.send('DELETE', `/baskets/${id}`)).status).toBe(204);
      expect((await app.api.send('GET', `/baskets/${id}`)).status).toBe(404);
      expect((await app.api.send('DELETE', `/baskets/${id}`)).status).toBe(404);
    });
  });

  describe('If-Match', () => {
    test('with the current ETag the write applies; with a stale one it answers 412 with the current ETag', async () => {
      const { id } = await app.api.create();
      const first = await app.api.send<BasketJson>('POST', `/baskets/${id}/lines`, {
        body: aLine(),
        headers: { 'If-Match': '"1"' },
      });
      expect(first.status).toBe(200);
      const stale = await app.api.send<ProblemJson & { currentVersion: number }>(
        'POST',
        `/baskets/${id}/lines`,
        { body: aLine(), headers: { 'If-Match': '"1"' } },
      );
      expect(stale.status).toBe(412);
      expect(stale.body.code).toBe('basket_version_mismatch');
      expect(stale.body.currentVersion).toBe(2);
      expect(stale.headers.get('etag')).toBe('"2"');
      const kept = await app.api.send<BasketJson>('GET', `/baskets/${id}`);
      expect(kept.body.itemCount).toBe(1);
    });

    test.each([
      ['*', 200],
      ['"7", "2"', 200],
      ['W/"2"', 412],
      ['"two"', 412],
    ])('If-Match %s on a basket at version 2 answers %i', async (value, status) => {
      const { id } = await app.api.create();
      await app.api.add(id);
      const answer = await app.api.send('PATCH', `/baskets/${id}/lines/MUG-BLUE`, {
        body: { quantity: 5 },
        headers: { 'If-Match': value },
      });
      expect(answer.status).toBe(status);
    });

    test('a malformed If-Match answers 400 if_match_invalid', async () => {
      const { id } = await app.api.create();
      const answer = await app.api.send<ProblemJson>('DELETE', `/baskets/${id}`, {
        headers: { 'If-Match': '2' },
      });
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('if_match_invalid');
      expect((await app.api.send('GET', `/baskets/${id}`)).status).toBe(200);
    });

    test('DELETE with a stale If-Match answers 412 and keeps the basket', async () => {
      const { id } = await app.api.create();
      await app.api.add(id);
      const answer = await app.api.send('DELETE', `/baskets/${id}`, {
        headers: { 'If-Match': '"1"' },
      });
      expect(answer.status).toBe(412);
      expect((await app.api.send('GET', `/baskets/${id}`)).status).toBe(200);
    });
  });

  test('many concurrent adds of one SKU give the exact sum', async () => {
    const wide = await startBasket(kind, { limits: { maxQuantity: 1_000 } });
    try {
      const { id } = await wide.api.create();
      const answers = await Promise.all(
        Array.from({ length: 100 }, () =>
          wide.api.send('POST', `/baskets/${id}/lines`, { body: aLine({ quantity: 3 }) }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
      const basket = await wide.api.send<BasketJson>('GET', `/baskets/${id}`);
      expect(basket.body.lines[0]?.quantity).toBe(300);
      expect(basket.body.version).toBe(101);
    } finally {
      await wide.close();
    }
  });
});
