/** UPLOADS_* configuration: defaults, sizes with units, and refusals that name the variable. */
import { ConfigError } from '@quadrants/service-kit';
import { describe, expect, test } from 'vitest';
import { loadUploadsConfig } from '../src/config.ts';

const problems = (env: Record<string, string>) => {
  try {
    loadUploadsConfig({ UPLOADS_DIR: '/data', ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join('\n');
    throw error;
  }
  return '';
};

describe('loadUploadsConfig', () => {
  test('defaults: port 8082, 100 MiB files, images, PDF and text, a day of key replay', () => {
    const config = loadUploadsConfig({ UPLOADS_DIR: '/data' });
    expect(config).toMatchObject({
      PORT: 8082,
      UPLOADS_MAX_FILE_SIZE: 100 * 1024 * 1024,
      UPLOADS_MAX_FIELDS: 20,
      UPLOADS_REQUEST_TIMEOUT_MS: 300_000,
      IDEMPOTENCY_KEY_TTL_SECONDS: 86_400,
    });
    expect(config.UPLOADS_ALLOWED_TYPES).toContain('image/png');
    expect(config.UPLOADS_ALLOWED_TYPES).not.toContain('application/octet-stream');
    expect(config.UPLOADS_INSTANCE.length).toBeGreaterThan(0);
  });

  test('sizes take b, kb, mb and gb, in powers of 1024', () => {
    for (const [value, bytes] of [
      ['512', 512],
      ['64kb', 65_536],
      ['1MB', 1_048_576],
      ['2gb', 2_147_483_648],
    ] as const) {
      expect(
        loadUploadsConfig({ UPLOADS_DIR: '/d', UPLOADS_MAX_FILE_SIZE: value })
          .UPLOADS_MAX_FILE_SIZE,
      ).toBe(bytes);
    }
  });

  test('the allow-list is comma-separated media types, lower-cased', () => {
    const config = loadUploadsConfig({
      UPLOADS_DIR: '/d',
      UPLOADS_ALLOWED_TYPES: ' Image/PNG , application/octet-stream ',
    });
    expect(config.UPLOADS_ALLOWED_TYPES).toEqual(['image/png', 'application/octet-stream']);
  });

  test.each([
    [{ UPLOADS_DIR: '' }, /UPLOADS_DIR: is required/],
    [{ UPLOADS_MAX_FILE_SIZE: '10 tb' }, /UPLOADS_MAX_FILE_SIZE: expected a size/],
    [{ UPLOADS_ALLOWED_TYPES: 'images' }, /UPLOADS_ALLOWED_TYPES/],
    [{ UPLOADS_ALLOWED_TYPES: ',' }, /UPLOADS_ALLOWED_TYPES: expected at least one/],
    [{ UPLOADS_INSTANCE: '../other' }, /UPLOADS_INSTANCE: expected 1–63 letters/],
    [{ UPLOADS_REQUEST_TIMEOUT_MS: '10' }, /UPLOADS_REQUEST_TIMEOUT_MS/],
  ])('%j is refused, naming the variable', (env, message) => {
    expect(problems(env)).toMatch(message);
  });
});
