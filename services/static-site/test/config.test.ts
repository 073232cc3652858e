import { describe, expect, it } from 'vitest';
import { loadServerConfig, loadSyncConfig } from '../src/config.ts';

const base = { STATIC_DIR: '/srv/site' };

describe('config', () => {
  it('defaults to the bucket static-site, the prefix site/ and AWS when no endpoint is set', () => {
    const config = loadServerConfig(base);
    expect(config).toMatchObject({
      S3_BUCKET: 'static-site',
      S3_PREFIX: 'site/',
      AWS_REGION: 'us-east-1',
      PORT: 8083,
    });
    expect(config.AWS_ENDPOINT_URL_S3).toBeUndefined();
    expect(config.STATIC_SYNC_ON_START).toBe(false);
  });

  it.each([['site/'], ['a/b-c_d.e/']])('takes the prefix %j', (prefix) => {
    expect(loadSyncConfig({ ...base, S3_PREFIX: prefix }).S3_PREFIX).toBe(prefix);
  });

  it.each([['site'], ['../site/'], ['./'], ['a//'], ['/site/'], ['a b/']])(
    'refuses the prefix %j',
    (prefix) => {
      // An empty value counts as unset: the default, not an error.
      expect(() => loadSyncConfig({ ...base, S3_PREFIX: prefix })).toThrow(
        /S3_PREFIX: expected a key prefix/,
      );
    },
  );

  it('names each bad variable', () => {
    const load = () =>
      loadServerConfig({
        AWS_ENDPOINT_URL_S3: 'ftp://store',
        S3_BUCKET: 'UPPER',
        STATIC_SYNC_ON_START: 'maybe',
      });
    for (const problem of [
      'STATIC_DIR: is required',
      'AWS_ENDPOINT_URL_S3: expected an http:// or https:// URL',
      'S3_BUCKET: expected a bucket name',
      'STATIC_SYNC_ON_START: expected true or false',
    ]) {
      expect(load).toThrow(problem);
    }
  });

  it('reads switches as the environment spells them', () => {
    expect(loadServerConfig({ ...base, STATIC_SPA_FALLBACK: 'TRUE' }).STATIC_SPA_FALLBACK).toBe(
      true,
    );
    expect(loadServerConfig({ ...base, STATIC_SPA_FALLBACK: '0' }).STATIC_SPA_FALLBACK).toBe(false);
  });
});
