import { describe, expect, test } from 'vitest';
import { parseQuantity } from '../src/quantity.ts';

describe('parseQuantity', () => {
  test.each([
    ['100m', 0.1],
    ['1', 1],
    ['0.5', 0.5],
    ['.5', 0.5],
    ['250u', 0.000_25],
    ['2k', 2_000],
    ['1G', 1e9],
    ['1E', 1e18],
    ['96Mi', 96 * 2 ** 20],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['1e3', 1_000],
    ['5E-1', 0.5],
    ['+2', 2],
    [2, 2],
  ])('%j is %d', (quantity, value) => {
    expect(parseQuantity(quantity)).toBe(value);
  });

  test('two spellings of one amount are equal, even where floating point would drift', () => {
    // 300 * 0.001 is 0.30000000000000004 in floating point.
    expect(parseQuantity('300m')).toBe(parseQuantity('0.3'));
    expect(parseQuantity('1024Ki')).toBe(parseQuantity('1Mi'));
    expect(parseQuantity('1e-3')).toBe(parseQuantity('1m'));
  });

  const notQuantities = ['', 'one', '1.2.3', '1Mb', '1 Gi', '1e', '1ki', '1e3m'];
  test.each(notQuantities)('%j is not a quantity', (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });
});
