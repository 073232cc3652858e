import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { baseConfigShape, ConfigError, intVar, loadConfig } from '../src/index.ts';

const shape = { ...baseConfigShape, PORT: intVar({ min: 0, max: 65_535 }).default(8080) };

describe('loadConfig', () => {
  test('with nothing set, every variable takes its default', () => {
    expect(loadConfig(shape, {})).toEqual({
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: 10_000,
      SHUTDOWN_DELAY_MS: 0,
      READINESS_TIMEOUT_MS: 1_000,
      BODY_LIMIT: '100kb',
      PORT: 8080,
    });
  });

  test('an empty variable counts as unset', () => {
    expect(loadConfig(shape, { PORT: '' }).PORT).toBe(8080);
  });

  test('a malformed value stops start-up naming the variable and the value', () => {
    const load = () => loadConfig(shape, { PORT: '80a', LOG_LEVEL: 'loud' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/PORT: expected an integer \(got "80a"\)/);
    expect(load).toThrow(/LOG_LEVEL: .*\(got "loud"\)/);
  });

  test('an out-of-range value is refused', () => {
    expect(() => loadConfig(shape, { PORT: '70000' })).toThrow(/PORT: .*65535/);
  });

  test('a required variable that is missing is named', () => {
    expect(() => loadConfig({ DATABASE_URL: z.url() }, {})).toThrow(/DATABASE_URL/);
  });

  test("a refused secret is named but its value is not repeated, nor a URL's password", () => {
    const secrets = {
      DATABASE_PASSWORD: z.string().min(12),
      DATABASE_URL: z.string().refine((v) => v.endsWith('/ledger'), 'names no database'),
    };
    const load = () =>
      loadConfig(secrets, {
        DATABASE_PASSWORD: 'hunter2',
        DATABASE_URL: 'postgres://app:hunter2@db:5432/other',
      });
    expect(load).toThrow(/DATABASE_PASSWORD: .*\(got \(hidden\)\)/);
    expect(load).toThrow(
      /DATABASE_URL: names no database \(got "postgres:\/\/app:\*\*\*@db:5432\/other"\)/,
    );
    expect(load).not.toThrow(/hunter2/);
  });

  test.each(['redis://u:s3cret@', 'redis//:s3cret@127.0.0.1'])(
    'a value that is no URL, %s, is shown without what may be its password',
    (value) => {
      const load = () => loadConfig({ REDIS_URL: z.url() }, { REDIS_URL: value });
      expect(load).toThrow(/REDIS_URL: .*\(got ".*\/\/\*\*\*@.*"\)/);
      expect(load).not.toThrow(/s3cret/);
    },
  );
});
