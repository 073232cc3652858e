import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { listenOnFreePort, testKit } from '@quadrants/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { currentRelease } from '../src/content/release.ts';
import { syncOnce } from '../src/content/sync.ts';
import { raw, rawLine } from '../test-support/http.ts';
import { startS3, type TestS3 } from '../test-support/s3.ts';
import {
  type ServedSite,
  serveDir,
  serveSite,
  syncOptions,
  tempDir,
} from '../test-support/site.ts';

const CSS = `body { color: #123; }\n${'.rule { margin: 0 auto; padding: 1rem; }\n'.repeat(200)}`;
const BIG = randomBytes(300_000);
const FILES = {
  'index.html': '<!doctype html><title>home</title><p>home</p>',
  '404.html': '<!doctype html><title>lost</title><p>not here</p>',
  'docs/index.html': '<!doctype html><p>docs</p>',
  'assets/app.0123abcd.css': CSS,
  'assets/logo.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
  'assets/app.js': 'console.log(1);',
  'data/points.json': '{"points":[]}',
  'data/blob.bin': BIG,
  'robots.txt': 'User-agent: *\n',
  'font.woff2': randomBytes(64),
};
const SECRET = 'TOP-SECRET-OUTSIDE-THE-SITE';

let s3server: TestS3;
let s3: S3Client;
let bucket: string;
let app: ServedSite;
beforeAll(async () => {
  s3server = await startS3();
  s3 = s3server.client();
  bucket = await s3server.bucket();
  app = await serveSite(s3, bucket, FILES);
  // Files a traversal would find: beside the site directory, and at the top of STATIC_DIR.
  const release = (await currentRelease(app.dir)) as string;
  await writeFile(join(app.dir, 'releases', release, 'secret.txt'), SECRET);
  await writeFile(join(app.dir, 'secret.txt'), SECRET);
});
afterAll(async () => {
  await app?.close();
  await s3server?.close();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  raw(app.baseUrl, path, { headers });
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

describe('serving', () => {
  it('answers each file with its bytes, its content type and revalidation for pages', async () => {
    const types: Record<string, string> = {
      '/': 'text/html; charset=utf-8',
      '/assets/app.0123abcd.css': 'text/css; charset=utf-8',
      '/assets/logo.svg': 'image/svg+xml',
      '/assets/app.js': 'text/javascript; charset=utf-8',
      '/data/points.json': 'application/json; charset=utf-8',
      '/data/blob.bin': 'application/octet-stream',
      '/robots.txt': 'text/plain; charset=utf-8',
      '/font.woff2': 'font/woff2',
    };
    for (const [path, type] of Object.entries(types)) {
      const res = await get(path);
      const key = path === '/' ? 'index.html' : path.slice(1);
      expect(res.status, path).toBe(200);
      expect(res.headers['content-type'], path).toBe(type);
      expect(sha256(res.body), path).toBe(sha256(FILES[key as keyof typeof FILES]));
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
    expect((await get('/')).headers['cache-control']).toBe('no-cache');
    expect((await get('/assets/app.0123abcd.css')).headers['cache-control']).toBe(
      'public, max-age=31536000, immutable',
    );
    expect((await get('/assets/app.js')).headers['cache-control']).toBe('no-cache');
  });

  it('revalidates with ETag and Last-Modified: 304 when the copy is current', async () => {
    const first = await get('/index.html');
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect((await get('/index.html', { 'If-None-Match': etag })).status).toBe(304);
    expect((await get('/index.html', { 'If-None-Match': `"other", W/${etag}` })).status).toBe(304);
    expect((await get('/index.html', { 'If-None-Match': '"other"' })).status).toBe(200);
    const since = first.headers['last-modified'] as string;
    expect((await get('/index.html', { 'If-Modified-Since': since })).status).toBe(304);
    const revalidated = await get('/index.html', { 'If-None-Match': etag });
    expect(revalidated.body.length).toBe(0);
  });

  it('gives the same ETag on every replica: it comes from the bytes', async () => {
    const dir = await tempDir('replica');
    await syncOnce(syncOptions(s3, bucket, dir));
    const other = await serveDir(dir);
    try {
      for (const path of ['/index.html', '/assets/app.0123abcd.css']) {
        const [a, b] = await Promise.all([get(path), raw(other.baseUrl, path)]);
        expect(a.headers.etag).toBe(b.headers.etag);
        expect(a.headers['last-modified']).toBe(b.headers['last-modified']);
      }
    } finally {
      await other.close();
    }
  });

  it('answers one byte range with 206, an unsatisfiable one with 416, several with the whole file', async () => {
    const part = await get('/data/blob.bin', { Range: 'bytes=1000-1999' });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 1000-1999/${BIG.length}`);
    expect(part.body.equals(BIG.subarray(1000, 2000))).toBe(true);
    const suffix = await get('/data/blob.bin', { Range: 'bytes=-10' });
    expect(suffix.body.equals(BIG.subarray(BIG.length - 10))).toBe(true);
    const beyond = await get('/data/blob.bin', { Range: `bytes=${BIG.length}-` });
    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${BIG.length}`);
    expect(beyond.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(beyond.headers['cache-control']).toBeUndefined();
    const several = await get('/data/blob.bin', { Range: 'bytes=0-9,100-109' });
    expect(several.status).toBe(200);
    expect(several.body.length).toBe(BIG.length);
    const malformed = await get('/data/blob.bin', { Range: 'bytes=z-y' });
    expect(malformed.status).toBe(200);
  });

  it('honours If-Range only for the current strong ETag or date', async () => {
    const { headers } = await get('/data/blob.bin');
    const etag = headers.etag as string;
    expect((await get('/data/blob.bin', { Range: 'bytes=0-9', 'If-Range': etag })).status).toBe(
      206,
    );
    expect(
      (await get('/data/blob.bin', { Range: 'bytes=0-9', 'If-Range': '"stale"' })).status,
    ).toBe(200);
    expect(
      (await get('/data/blob.bin', { Range: 'bytes=0-9', 'If-Range': `W/${etag}` })).status,
    ).toBe(200);
    const date = headers['last-modified'] as string;
    expect((await get('/data/blob.bin', { Range: 'bytes=0-9', 'If-Range': date })).status).toBe(
      206,
    );
  });

  it('streams files too large for memory from disk, ranges included', async () => {
    const dir = await tempDir('disk');
    await syncOnce(syncOptions(s3, bucket, dir));
    const fromDisk = await serveDir(dir, { memoryFileLimit: 0 });
    try {
      const whole = await raw(fromDisk.baseUrl, '/data/blob.bin');
      expect(whole.body.equals(BIG)).toBe(true);
      const part = await raw(fromDisk.baseUrl, '/data/blob.bin', {
        headers: { Range: 'bytes=5-14' },
      });
      expect(part.body.equals(BIG.subarray(5, 15))).toBe(true);
    } finally {
      await fromDisk.close();
    }
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const head = await raw(app.baseUrl, '/assets/app.0123abcd.css', { method: 'HEAD' });
    const body = await get('/assets/app.0123abcd.css');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    for (const name of [
      'content-type',
      'content-length',
      'etag',
      'last-modified',
      'cache-control',
    ]) {
      expect(head.headers[name], name).toBe(body.headers[name]);
    }
  });

  it('sends the precompressed form the client accepts, with Vary and its own ETag', async () => {
    const path = '/assets/app.0123abcd.css';
    const br = await get(path, { 'Accept-Encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).toString()).toBe(CSS);
    expect(Number(br.headers['content-length'])).toBeLessThan(CSS.length);
    const gzip = await get(path, { 'Accept-Encoding': 'br;q=0, gzip' });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.body).toString()).toBe(CSS);
    const plain = await get(path);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.text).toBe(CSS);
    for (const res of [br, gzip, plain]) expect(res.headers.vary).toBe('Accept-Encoding');
    expect(new Set([br.headers.etag, gzip.headers.etag, plain.headers.etag]).size).toBe(3);
    // The compressed objects are forms of the file, not files of their own.
    expect((await get(`${path}.br`)).status).toBe(404);
    // Too small to be worth compressing: one form, no Vary.
    const small = await get('/assets/app.js', { 'Accept-Encoding': 'br' });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.headers.vary).toBeUndefined();
  });

  it('redirects a folder to its slash, keeping the query, and never lists one', async () => {
    const moved = await get('/docs?x=1');
    expect(moved.status).toBe(301);
    expect(moved.headers.location).toBe('/docs/?x=1');
    expect((await get('/docs/')).text).toBe(FILES['docs/index.html']);
    const listing = await get('/assets/');
    expect(listing.status).toBe(404);
    expect((await get('/assets')).status).toBe(404);
  });

  it('answers a missing path with the 404 page for browsers and problem+json for others', async () => {
    const page = await get('/missing', { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
    expect(page.status).toBe(404);
    expect(page.text).toBe(FILES['404.html']);
    expect(page.headers['cache-control']).toBe('no-cache');
    const problem = await get('/missing', { Accept: '*/*' });
    expect(problem.status).toBe(404);
    expect(problem.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(JSON.parse(problem.text)).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('answers other methods with 405 and Allow', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await raw(app.baseUrl, '/index.html', { method });
      expect(res.status, method).toBe(405);
      expect(res.headers.allow).toBe('GET, HEAD');
    }
  });

  it('tells at /_static/release what it serves, file by file', async () => {
    const res = await get('/_static/release');
    const document = JSON.parse(res.text);
    expect(document.release).toBe(await currentRelease(app.dir));
    expect(document.bucket).toBe(bucket);
    expect(document.files['data/blob.bin']).toEqual({ size: BIG.length, sha256: sha256(BIG) });
    expect(document.files['assets/app.0123abcd.css.br']).toBeDefined();
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('sends a policy to pages that lets them reach the sibling services on their host', async () => {
    const res = await get('/', { Host: 'localhost:18083' });
    const policy = res.headers['content-security-policy'] as string;
    expect(policy).toContain("connect-src 'self' http://localhost:* https://localhost:*");
    expect(policy).not.toContain('upgrade-insecure-requests');
    expect(policy).toContain("script-src 'self'");
    const hostile = await get('/', { Host: 'evil;script-src *' });
    expect(hostile.headers['content-security-policy']).toContain("connect-src 'self';");
  });
});

describe('path traversal', () => {
  // Each is sent byte for byte; none may reach a file outside the site, nor answer a 5xx.
  const refused: [string, string][] = [
    ['/../secret.txt', 'a plain .. segment'],
    ['/assets/../../secret.txt', '.. after a folder'],
    ['/%2e%2e/secret.txt', 'encoded dots'],
    ['/%2E%2E%2Fsecret.txt', 'encoded dots and slash, upper case'],
    ['/.%2e/secret.txt', 'half-encoded dots'],
    ['/..%2f..%2fsecret.txt', 'encoded slash'],
    ['/..\\secret.txt', 'a backslash'],
    ['/..%5csecret.txt', 'an encoded backslash'],
    ['/..%5c..%5csecret.txt', 'encoded backslashes'],
    ['/%c0%ae%c0%ae/secret.txt', 'overlong UTF-8 dots (2 bytes)'],
    ['/%e0%80%ae%e0%80%ae/secret.txt', 'overlong UTF-8 dots (3 bytes)'],
    ['/%c0%af..%c0%afsecret.txt', 'an overlong UTF-8 slash'],
    ['/%ff/secret.txt', 'a byte that is not UTF-8'],
    ['/index.html%00.txt', 'an encoded NUL'],
    ['/%', 'a lone percent sign'],
  ];
  for (const [path, what] of refused) {
    it(`refuses ${what}: ${path}`, async () => {
      const res = await get(path);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(JSON.parse(res.text)).toMatchObject({ status: 400, code: 'invalid_path' });
      expect(res.text).not.toContain(SECRET);
    });
  }

  const notFound: [string, string][] = [
    ['/%252e%252e/secret.txt', 'double-encoded dots'],
    ['/%252e%252e%252fsecret.txt', 'double-encoded dots and slash'],
    ['/..%255csecret.txt', 'a double-encoded backslash'],
    ['//secret.txt', 'an empty segment'],
    ['/secret.txt', 'a name that is beside the site, not in it'],
    ['/manifest.json', 'the manifest, which is beside the site'],
    ['/_static/../secret.txt', 'the reserved prefix'],
  ];
  for (const [path, what] of notFound) {
    it(`does not find ${what}: ${path}`, async () => {
      const res = await get(path);
      expect([400, 404]).toContain(res.status);
      expect(res.text).not.toContain(SECRET);
    });
  }

  it('refuses a raw NUL in the request line before the app sees it', async () => {
    const res = await rawLine(
      app.baseUrl,
      Buffer.from('/index.html\u0000/../secret.txt', 'latin1'),
    );
    expect(res.status).toBe(400);
    expect(res.text).not.toContain(SECRET);
  });

  it('never follows a symbolic link in the release, to a file or through a folder', async () => {
    const dir = await tempDir('symlink');
    await syncOnce(syncOptions(s3, bucket, dir));
    const release = (await currentRelease(dir)) as string;
    const site = join(dir, 'releases', release, 'site');
    const outside = await tempDir('outside');
    await writeFile(join(outside, 'robots.txt'), SECRET);
    await mkdir(join(outside, 'data'));
    await writeFile(join(outside, 'data', 'points.json'), SECRET);
    // Swap a listed file for a link to one outside, and a listed folder for a link to another.
    await rm(join(site, 'robots.txt'));
    await symlink(join(outside, 'robots.txt'), join(site, 'robots.txt'));
    await rm(join(site, 'data'), { recursive: true });
    await symlink(join(outside, 'data'), join(site, 'data'));
    const tampered = await serveDir(dir);
    try {
      for (const path of ['/robots.txt', '/data/points.json']) {
        const res = await raw(tampered.baseUrl, path);
        expect(res.status, path).toBe(404);
        expect(res.text).not.toContain(SECRET);
      }
      expect((await raw(tampered.baseUrl, '/index.html')).status).toBe(200);
    } finally {
      await tampered.close();
      await rm(outside, { recursive: true, force: true });
    }
  });
});

describe('before the first release, and as a single-page app', () => {
  it('answers 503 for the site until a release is loaded', async () => {
    const kit = testKit({ service: 'static-site' });
    const running = await listenOnFreePort(
      createApp({ ...kit, site: () => undefined, spaFallback: false }),
    );
    try {
      const res = await raw(running.baseUrl, '/');
      expect(res.status).toBe(503);
      expect(JSON.parse(res.text)).toMatchObject({ code: 'not_synced' });
      expect((await raw(running.baseUrl, '/healthz')).status).toBe(200);
    } finally {
      await running.close();
    }
  });

  it('falls back to index.html for a browser route only when asked to', async () => {
    const dir = await tempDir('spa');
    await syncOnce(syncOptions(s3, bucket, dir));
    const spa = await serveDir(dir, { spaFallback: true });
    const html = { Accept: 'text/html' };
    try {
      const route = await raw(spa.baseUrl, '/basket/42', { headers: html });
      expect(route.status).toBe(200);
      expect(route.text).toBe(FILES['index.html']);
      expect(route.headers['cache-control']).toBe('no-cache');
      // A missing asset stays missing; so does anything asked for as data.
      expect((await raw(spa.baseUrl, '/assets/gone.js', { headers: html })).status).toBe(404);
      expect(
        (await raw(spa.baseUrl, '/basket/42', { headers: { Accept: 'application/json' } })).status,
      ).toBe(404);
    } finally {
      await spa.close();
    }
    expect((await get('/basket/42', html)).status).toBe(404);
  });
});
