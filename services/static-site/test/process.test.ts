/**
 * static-site as real processes (src/main.ts, src/sync.ts, src/seed.ts): live at once, ready
 * only with a complete copy; the sync command as an initContainer; a store outage at start-up;
 * configuration errors as one line.
 */
import { rm } from 'node:fs/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  freeLoopbackPort,
  type ServiceProcess,
  startServiceProcess,
} from '@quadrants/service-kit/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { currentRelease } from '../src/content/release.ts';
import { raw } from '../test-support/http.ts';
import { startS3, type TestS3 } from '../test-support/s3.ts';
import { siteSource, tempDir } from '../test-support/site.ts';

const main = new URL('../src/main.ts', import.meta.url).pathname;
const sync = new URL('../src/sync.ts', import.meta.url).pathname;
const seed = new URL('../src/seed.ts', import.meta.url).pathname;

const running: ServiceProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const service of running.splice(0)) {
    if (service.child.exitCode === null && service.child.signalCode === null)
      service.child.kill('SIGKILL');
    await service.exited;
  }
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function store(): Promise<TestS3> {
  const s3 = await startS3({ own: true });
  cleanups.push(() => s3.close());
  return s3;
}

async function dir(): Promise<string> {
  const path = await tempDir('process');
  cleanups.push(() => rm(path, { recursive: true, force: true }));
  return path;
}

function run(entry: string, env: Record<string, string>): ServiceProcess {
  const service = startServiceProcess(entry, { LOG_LEVEL: 'info', ...env });
  running.push(service);
  return service;
}

async function server(env: Record<string, string>) {
  const port = await freeLoopbackPort();
  const service = run(main, { PORT: String(port), ...env });
  await service.waitFor((line) => line.msg === 'listening');
  return { service, base: `http://127.0.0.1:${port}` };
}

/** Polls /readyz a few times, half a second apart: it must answer 503 every time. */
async function staysUnready(base: string, polls = 4) {
  for (let i = 0; i < polls; i++) {
    expect((await raw(base, '/readyz')).status).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('static-site as a process', () => {
  it('is live at once but ready only once its own sync is complete, however long the store is away', async () => {
    const s3 = await store();
    const bucket = await s3.bucket();
    await s3
      .client()
      .send(new PutObjectCommand({ Bucket: bucket, Key: 'site/index.html', Body: 'hello' }));
    await s3.stop();
    const dirPath = await dir();
    const { service, base } = await server({
      ...s3.env,
      STATIC_DIR: dirPath,
      S3_BUCKET: bucket,
      STATIC_SYNC_ON_START: 'true',
      STATIC_SYNC_MAX_BACKOFF_MS: '300',
      // The object was put by hand, not seeded.
      STATIC_SYNC_REQUIRE_SEED: 'false',
    });
    expect((await raw(base, '/healthz')).status).toBe(200);
    await service.waitFor((line) => line.msg === 'sync failed; retrying');
    await staysUnready(base);
    expect((await raw(base, '/')).status).toBe(503);

    await s3.start();
    await service.waitFor((line) => String(line.msg).startsWith('serving release'));
    expect((await raw(base, '/readyz')).status).toBe(200);
    expect((await raw(base, '/')).text).toBe('hello');
  });

  it('serves what the sync command (an initContainer) switched in, and is unready before', async () => {
    const s3 = await store();
    const bucket = await s3.bucket();
    await s3.client().send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'site/index.html',
        Body: 'from the init container',
      }),
    );
    const dirPath = await dir();
    const { service, base } = await server({ STATIC_DIR: dirPath, S3_BUCKET: bucket });
    await staysUnready(base, 2);

    const synced = run(sync, {
      ...s3.env,
      STATIC_DIR: dirPath,
      S3_BUCKET: bucket,
      STATIC_SYNC_REQUIRE_SEED: 'false',
    });
    expect(await synced.exited).toBe(0);
    expect(await currentRelease(dirPath)).toBeDefined();
    await service.waitFor((line) => String(line.msg).startsWith('serving release'));
    expect((await raw(base, '/readyz')).status).toBe(200);
    expect((await raw(base, '/')).text).toBe('from the init container');
  });

  it('stops a sync that waits for the store on SIGTERM, with nothing switched', async () => {
    const s3 = await store();
    const bucket = await s3.bucket();
    await s3.stop();
    const dirPath = await dir();
    const synced = run(sync, {
      ...s3.env,
      STATIC_DIR: dirPath,
      S3_BUCKET: bucket,
      STATIC_SYNC_MAX_BACKOFF_MS: '300',
    });
    await synced.waitFor((line) => line.msg === 'sync failed; retrying');
    synced.child.kill('SIGTERM');
    expect(await synced.exited).toBe(143);
    expect(await currentRelease(dirPath)).toBeUndefined();
  });

  it('seeds a directory with precompressed forms, and again idempotently', async () => {
    const s3 = await store();
    const bucket = await s3.bucket();
    const source = await siteSource({
      'index.html': `<!doctype html>${'<p>text</p>'.repeat(300)}`,
      'a.png': 'png',
    });
    cleanups.push(() => rm(source, { recursive: true, force: true }));
    const env = { ...s3.env, S3_BUCKET: bucket, STATIC_SEED_DIR: source };
    const first = run(seed, env);
    expect(await first.exited).toBe(0);
    // The page and its Brotli and gzip forms; the image is too small to be worth compressing.
    expect(await first.waitFor((line) => String(line.msg).startsWith('seeded'))).toMatchObject({
      uploaded: 4,
      unchanged: 0,
    });
    const again = run(seed, env);
    expect(await again.exited).toBe(0);
    expect(await again.waitFor((line) => String(line.msg).startsWith('seeded'))).toMatchObject({
      uploaded: 0,
      unchanged: 4,
      deleted: 0,
    });
  });

  it('names a bad variable in one line and exits 1, for the server and both commands', async () => {
    for (const entry of [main, sync, seed]) {
      const service = run(entry, { STATIC_DIR: '/tmp/x', S3_BUCKET: 'Not_A_Bucket' });
      expect(await service.exited, entry).toBe(1);
      const fatal = service.lines.filter((line) => line.level === 60);
      expect(fatal, entry).toHaveLength(1);
      expect(String(fatal[0]?.msg)).toMatch(
        /^invalid configuration: S3_BUCKET: expected a bucket name/,
      );
      expect(service.stderr()).toBe('');
    }
  });
});
