/** basket's configuration: what it refuses at start-up, naming the variables. */
import { ConfigError } from '@quadrants/service-kit';
import { describe, expect, test } from 'vitest';
import { loadBasketConfig } from '../src/config.ts';

describe('loadBasketConfig', () => {
  test('defaults to the redis store, and then needs REDIS_URL', () => {
    expect(() => loadBasketConfig({})).toThrow(/REDIS_URL: is required with BASKET_STORE=redis/);
    expect(loadBasketConfig({ BASKET_STORE: 'memory' })).toMatchObject({
      BASKET_STORE: 'memory',
      PORT: 8085,
      BASKET_IDLE_SECONDS: 604_800,
      BASKET_MAX_LINES: 50,
      BASKET_MAX_QUANTITY: 99,
    });
  });

  test('refuses limits under which a full basket at the highest price would pass 2^53 − 1', () => {
    const env = { BASKET_STORE: 'memory', BASKET_MAX_LINES: '1000', BASKET_MAX_QUANTITY: '9999' };
    expect(() => loadBasketConfig(env)).toThrow(ConfigError);
    expect(() => loadBasketConfig(env)).toThrow(
      /BASKET_MAX_LINES × BASKET_MAX_QUANTITY: at most 9007199/,
    );
    expect(loadBasketConfig({ ...env, BASKET_MAX_QUANTITY: '9007' }).BASKET_MAX_QUANTITY).toBe(
      9007,
    );
  });
});
