import { describe, expect, it } from 'vitest';
import { chooseCoding } from '../src/http/encoding.ts';

const all = ['br', 'gzip', 'identity'] as const;

describe('chooseCoding', () => {
  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip, deflate, br', 'br'],
    ['gzip, deflate, br, zstd', 'br'],
    ['gzip', 'gzip'],
    ['br;q=0, gzip', 'gzip'],
    ['br;q=0.5, gzip;q=0.8', 'gzip'],
    ['BR', 'br'],
    ['*', 'br'],
    ['*;q=0', undefined],
    ['*;q=0, identity', 'identity'],
    ['identity;q=0', undefined],
    ['identity;q=0, gzip;q=0.1', 'gzip'],
    ['deflate', 'identity'],
    ['gzip;q=0, br;q=0', 'identity'],
    ['br; q = 0.2 , identity;q=0.1', 'br'],
    ['gzip;q=abc', 'gzip'],
  ])('%j → %s', (header, expected) => {
    expect(chooseCoding(header, all)).toBe(expected);
  });

  it('offers only what is stored', () => {
    expect(chooseCoding('br', ['gzip', 'identity'])).toBe('identity');
    expect(chooseCoding('br, gzip', ['gzip', 'identity'])).toBe('gzip');
  });
});
