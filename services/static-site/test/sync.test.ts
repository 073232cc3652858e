import { createHash } from 'node:crypto';
import { readdir, readFile, readlink, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createLogger } from '@quadrants/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentRelease, readManifest } from '../src/content/release.ts';
import { seedOnce } from '../src/content/seed.ts';
import { IntegrityError, syncOnce, syncUntilDone } from '../src/content/sync.ts';
import { startS3, type TestS3 } from '../test-support/s3.ts';
import { quiet, siteSource, syncOptions, tempDir } from '../test-support/site.ts';

let s3server: TestS3;
let s3: S3Client;
beforeAll(async () => {
  s3server = await startS3();
  s3 = s3server.client();
});
afterAll(() => s3server?.close());

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

async function seed(bucket: string, files: Record<string, string | Buffer>) {
  const source = await siteSource(files);
  try {
    return await seedOnce({ s3, bucket, prefix: 'site/', source, log: quiet });
  } finally {
    await rm(source, { recursive: true, force: true });
  }
}

/** Every file under the current release's site directory, path → SHA-256. */
async function filesOnDisk(dir: string): Promise<Record<string, string>> {
  const release = await currentRelease(dir);
  const root = join(dir, 'releases', release as string, 'site');
  const found: Record<string, string> = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    found[path.slice(root.length + 1)] = sha256(await readFile(path));
  }
  return found;
}

/** A logger whose lines the test can read. */
function capturingLog() {
  const lines: { msg: string; [field: string]: unknown }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const text of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(text));
      callback();
    },
  });
  return {
    log: createLogger({ service: 'static-site', level: 'info', pretty: false, destination }),
    lines,
  };
}

describe('sync', () => {
  it('copies every object under the prefix, byte for byte, across many listing pages', async () => {
    const bucket = await s3server.bucket();
    const files: Record<string, string> = { 'index.html': '<!doctype html><p>home</p>' };
    for (let i = 0; i < 23; i++)
      files[`notes/${String(i).padStart(2, '0')}.txt`] = `note ${i}\n`.repeat(i + 1);
    await seed(bucket, files);
    // Outside the prefix: never copied.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'other/secret.txt', Body: 'no' }));
    const dir = await tempDir('sync');
    const manifest = await syncOnce(syncOptions(s3, bucket, dir, { pageSize: 5 }));

    const expected = Object.fromEntries(
      Object.entries(files).map(([path, body]) => [path, sha256(body)]),
    );
    expect(await filesOnDisk(dir)).toEqual(expected);
    expect(manifest.objects).toBe(24);
    expect(
      Object.fromEntries(Object.entries(manifest.files).map(([path, file]) => [path, file.sha256])),
    ).toEqual(expected);
    expect(await readManifest(dir, manifest.release)).toEqual(manifest);
    expect(await readlink(join(dir, 'current'))).toBe(`releases/${manifest.release}`);
    await rm(dir, { recursive: true, force: true });
  });

  it('lists keys that sort across page ends (a, a-b) once each', async () => {
    const bucket = await s3server.bucket();
    await seed(bucket, { blob: 'one', 'blob-copy': 'two', 'blob.txt': 'three' });
    const dir = await tempDir('order');
    const manifest = await syncOnce(syncOptions(s3, bucket, dir, { pageSize: 1 }));
    expect(Object.keys(manifest.files)).toEqual(['blob', 'blob-copy', 'blob.txt']);
    await rm(dir, { recursive: true, force: true });
  });

  it('switches to a new release when the bucket changed, and keeps only the newest ones', async () => {
    const bucket = await s3server.bucket();
    const dir = await tempDir('resync');
    await seed(bucket, { 'index.html': 'one', 'gone.txt': 'soon removed' });
    const first = await syncOnce(syncOptions(s3, bucket, dir, { keep: 2 }));
    await seed(bucket, { 'index.html': 'two' });
    const second = await syncOnce(syncOptions(s3, bucket, dir, { keep: 2 }));
    await seed(bucket, { 'index.html': 'three' });
    const third = await syncOnce(syncOptions(s3, bucket, dir, { keep: 2 }));

    expect(await filesOnDisk(dir)).toEqual({ 'index.html': sha256('three') });
    expect(await currentRelease(dir)).toBe(third.release);
    expect((await readdir(join(dir, 'releases'))).sort()).toEqual(
      [second.release, third.release].sort(),
    );
    expect(first.files['gone.txt']).toBeDefined();
    await rm(dir, { recursive: true, force: true });
  });

  it('never switches to a copy that does not match the store, and leaves no partial copy', async () => {
    const bucket = await s3server.bucket();
    const dir = await tempDir('corrupt');
    await seed(bucket, { 'index.html': 'good' });
    const good = await syncOnce(syncOptions(s3, bucket, dir));
    // An object whose declared SHA-256 is not that of its bytes: a corrupted upload.
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'site/bad.js',
        Body: 'tampered',
        Metadata: { sha256: sha256('original') },
      }),
    );
    await expect(syncOnce(syncOptions(s3, bucket, dir))).rejects.toThrow(IntegrityError);
    expect(await currentRelease(dir)).toBe(good.release);
    expect(await readdir(join(dir, 'releases'))).toEqual([good.release]);
    await rm(dir, { recursive: true, force: true });
  });

  it('waits for the seed to have finished, unless told to take the prefix as it is', async () => {
    const bucket = await s3server.bucket();
    const dir = await tempDir('unseeded');
    // Half a first seed: an asset is there, the page and the marker not yet.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'site/assets/app.js', Body: 'x' }));
    await expect(syncOnce(syncOptions(s3, bucket, dir))).rejects.toThrow(
      /has no _static\/seeded.json yet/,
    );
    expect(await currentRelease(dir)).toBeUndefined();
    const taken = await syncOnce(syncOptions(s3, bucket, dir, { requireSeed: false }));
    expect(Object.keys(taken.files)).toEqual(['assets/app.js']);
    // A finished seed writes the marker, which is never a file of the site.
    await seed(bucket, { 'index.html': 'home' });
    const seeded = await syncOnce(syncOptions(s3, bucket, dir));
    expect(Object.keys(seeded.files)).toEqual(['index.html']);
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses an empty prefix: an unseeded bucket is not a site', async () => {
    const bucket = await s3server.bucket();
    const dir = await tempDir('empty');
    await expect(syncOnce(syncOptions(s3, bucket, dir, { requireSeed: false }))).rejects.toThrow(
      /no objects under s3:\/\/.*\/site\//,
    );
    expect(await currentRelease(dir)).toBeUndefined();
    await rm(dir, { recursive: true, force: true });
  });

  it('skips keys that cannot be plain files, and says why in the manifest', async () => {
    const bucket = await s3server.bucket();
    const dir = await tempDir('keys');
    const put = (Key: string, Body: string | Buffer = 'x') =>
      s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
    await put('site/index.html', 'home');
    await put('site/folder/', Buffer.alloc(0));
    await put('site/back\\slash.txt');
    await put('site/both');
    await put('site/both/inner.txt', 'inner');
    const manifest = await syncOnce(syncOptions(s3, bucket, dir, { requireSeed: false }));

    expect(Object.keys(manifest.files).sort()).toEqual(['both/inner.txt', 'index.html']);
    expect(manifest.skipped).toEqual(
      expect.arrayContaining([
        { key: 'site/folder/', reason: 'is a folder marker' },
        { key: 'site/back\\slash.txt', reason: 'holds a control character or a backslash' },
        { key: 'site/both', reason: 'is also a folder of other keys' },
      ]),
    );
    expect(await filesOnDisk(dir)).toEqual({
      'both/inner.txt': sha256('inner'),
      'index.html': sha256('home'),
    });
    await rm(dir, { recursive: true, force: true });
  });

  it('waits for a store that is down, retrying with backoff, and completes once it is back', async () => {
    const own = await startS3({ own: true });
    const client = own.client();
    const bucket = await own.bucket();
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'site/index.html', Body: 'after the outage' }),
    );
    await own.stop();
    const dir = await tempDir('outage');
    const { log, lines } = capturingLog();
    const synced = syncUntilDone({
      ...syncOptions(client, bucket, dir, { log, requireSeed: false }),
      maxBackoffMs: 200,
    });
    // Bounded: the attempts are 250 ms apart at most (with jitter), so a few come quickly.
    await expect
      .poll(() => lines.filter((line) => line.msg === 'sync failed; retrying').length, {
        timeout: 60_000,
      })
      .toBeGreaterThanOrEqual(3);
    expect(await currentRelease(dir)).toBeUndefined();
    await own.start();
    const manifest = await synced;
    expect(manifest.objects).toBe(1);
    expect(await filesOnDisk(dir)).toEqual({ 'index.html': sha256('after the outage') });
    await own.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stops retrying when aborted, with nothing switched', async () => {
    const own = await startS3({ own: true });
    const client = own.client();
    const bucket = await own.bucket();
    await own.stop();
    const dir = await tempDir('abort');
    const controller = new AbortController();
    const { log, lines } = capturingLog();
    const synced = syncUntilDone({
      ...syncOptions(client, bucket, dir, { log, signal: controller.signal }),
      maxBackoffMs: 200,
    });
    await expect.poll(() => lines.length, { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
    controller.abort(new Error('shutting down'));
    await expect(synced).rejects.toThrow('shutting down');
    expect(await currentRelease(dir)).toBeUndefined();
    expect(await readdir(join(dir, 'releases'))).toEqual([]);
    await own.close();
    await rm(dir, { recursive: true, force: true });
  });
});
