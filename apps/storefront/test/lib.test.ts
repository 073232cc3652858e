import { describe, expect, it } from 'vitest';
import {
  checkoutKey,
  describeError,
  endJourney,
  findLatLon,
  finishCheckout,
  formatMoney,
  journeyTraceId,
  nearest,
  newTraceId,
  parseProblem,
  TRACEPARENT,
  traceparent,
} from '../src/lib.ts';

function memory() {
  const m = new Map<string, string>();
  return {
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => void m.set(k, v),
    removeItem: (k: string) => void m.delete(k),
  };
}

describe('traceparent', () => {
  it('is version 00, the journey trace-id, a fresh 16-hex parent, flags 01', () => {
    const id = newTraceId();
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const a = traceparent(id);
    const b = traceparent(id);
    expect(a).toMatch(TRACEPARENT);
    expect(a.split('-')[1]).toBe(id);
    expect(a.split('-')[2]).not.toBe(b.split('-')[2]);
  });
  it('never makes an all-zero trace-id', () => {
    let n = 0;
    const rand = (a: Uint8Array) => (n++ === 0 ? a : a.fill(7));
    expect(newTraceId(rand)).toBe('07'.repeat(16));
  });
  it('keeps one trace-id per journey and a new one after an order', () => {
    const s = memory();
    const first = journeyTraceId(s);
    expect(journeyTraceId(s)).toBe(first);
    endJourney(s);
    expect(journeyTraceId(s)).not.toBe(first);
  });
});

describe('idempotency key', () => {
  it('is reused for the same attempt, new for another, dropped when finished', () => {
    const s = memory();
    let n = 0;
    const make = () => `k${++n}`;
    expect(checkoutKey(s, 'b1|ada|100', make)).toBe('k1');
    expect(checkoutKey(s, 'b1|ada|100', make)).toBe('k1');
    expect(checkoutKey(s, 'b1|ada|200', make)).toBe('k2');
    finishCheckout(s);
    expect(checkoutKey(s, 'b1|ada|200', make)).toBe('k3');
  });
  it('replaces a damaged entry', () => {
    const s = memory();
    s.setItem('shop.checkout', '{oops');
    expect(checkoutKey(s, 'x', () => 'fresh')).toBe('fresh');
  });
});

describe('nearest store', () => {
  it('takes the smallest finite distance, the first on a tie', () => {
    expect(
      nearest([
        { item: 'a', distance: 5 },
        { item: 'b', distance: Number.NaN },
        { item: 'c', distance: 2 },
        { item: 'd', distance: 2 },
      ])?.item,
    ).toBe('c');
    expect(nearest([])).toBeUndefined();
  });
});

describe('money', () => {
  it('formats minor units', () => {
    expect(formatMoney(1250)).toBe('€12.50');
    expect(formatMoney(0)).toBe('€0.00');
    expect(formatMoney(250000)).toBe('€2,500.00');
  });
});

describe('API errors', () => {
  it('reads a problem body', () => {
    const e = parseProblem(
      422,
      JSON.stringify({
        title: 'Unprocessable',
        detail: 'balance 100 is less than 500',
        code: 'insufficient_funds',
        traceId: 'a'.repeat(32),
      }),
    );
    expect(e).toMatchObject({ status: 422, code: 'insufficient_funds', traceId: 'a'.repeat(32) });
    expect(describeError(e)).toBe(
      `balance 100 is less than 500 (insufficient_funds) — quote trace id ${'a'.repeat(32)}`,
    );
  });
  it('survives a non-JSON body and takes the trace from the header', () => {
    const e = parseProblem(502, '<html>', `00-${'b'.repeat(32)}-${'c'.repeat(16)}-01`);
    expect(e.detail).toBe('the server answered 502');
    expect(e.traceId).toBe('b'.repeat(32));
    expect(parseProblem(0, '').detail).toBe('the network request failed');
  });
  it('finds lat/lon in a geo answer', () => {
    expect(findLatLon({ results: { latlon: { lat: 52.1, lon: 21 } } })).toEqual({
      lat: 52.1,
      lon: 21,
    });
    expect(findLatLon({ x: 1 })).toBeUndefined();
  });
});
