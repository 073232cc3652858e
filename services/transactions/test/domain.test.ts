// Unit tests of the plain functions: the ledger's rules, the key's shape, the fingerprint and
// the cursor. (The component tests check the same rules through HTTP and PostgreSQL.)
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { fingerprint, keyProblem } from '../src/domain/idempotency.ts';
import { MAX_MINOR_UNITS, refusal } from '../src/domain/ledger.ts';
import { decodeCursor, encodeCursor } from '../src/http/cursor.ts';

const request = (amount: number) => ({ fromAccountId: 'a', toAccountId: 'b', amount });
const eur = (balance: number) => ({ currency: 'EUR', balance });

describe('refusal', () => {
  test('a transfer that fits is allowed', () => {
    expect(refusal(request(10), eur(10), eur(0))).toBeUndefined();
  });

  test('names the rule each refused transfer breaks', () => {
    expect(refusal(request(11), eur(10), eur(0))?.code).toBe('insufficient_funds');
    expect(refusal(request(1), eur(10), { currency: 'USD', balance: 0 })?.code).toBe(
      'currency_mismatch',
    );
    expect(refusal(request(1), undefined, eur(0))?.field).toBe('fromAccountId');
    expect(refusal(request(1), eur(1), undefined)?.field).toBe('toAccountId');
    expect(refusal(request(1), eur(1), eur(MAX_MINOR_UNITS))?.code).toBe('balance_overflow');
    expect(refusal({ ...request(1), toAccountId: 'a' }, eur(1), eur(1))?.code).toBe('same_account');
  });

  test('never allows a balance below zero or above 2^53 − 1', () => {
    const minor = fc.integer({ min: 0, max: MAX_MINOR_UNITS });
    fc.assert(
      fc.property(
        minor,
        minor,
        fc.integer({ min: 1, max: MAX_MINOR_UNITS }),
        (from, to, amount) => {
          if (refusal(request(amount), eur(from), eur(to))) return;
          expect(from - amount).toBeGreaterThanOrEqual(0);
          expect(to + amount).toBeLessThanOrEqual(MAX_MINOR_UNITS);
        },
      ),
    );
  });
});

describe('keyProblem', () => {
  test.each([
    [undefined, 'missing'],
    ['', 'invalid'],
    ['a b', 'invalid'],
    ['k'.repeat(256), 'invalid'],
    [['one', 'two'], 'invalid'],
    ['k'.repeat(255), undefined],
    ['8e0d5a8e-3b1f-4a53-9b5e-6f7c3d2a1b0c', undefined],
  ])('%j is %s', (header, problem) => {
    expect(keyProblem(header)).toBe(problem);
  });
});

describe('fingerprint', () => {
  test('the same members in another order are the same request; another value is not', () => {
    expect(fingerprint({ a: 1, b: { c: 2, d: 3 } })).toBe(fingerprint({ b: { d: 3, c: 2 }, a: 1 }));
    expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: 2 }));
    expect(fingerprint({ a: 1, b: undefined })).toBe(fingerprint({ a: 1 }));
  });
});

describe('cursor', () => {
  test('reads back what it wrote, and refuses anything else', () => {
    expect(decodeCursor(encodeCursor('12345'))).toBe('12345');
    expect(decodeCursor(undefined)).toBeUndefined();
    for (const bad of ['', 'x', encodeCursor('-1'), encodeCursor('99999999999999999999')]) {
      expect(() => decodeCursor(bad)).toThrow(/cursor/);
    }
  });
});
