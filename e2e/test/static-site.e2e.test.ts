import { createHash, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, describe, expect, inject, type TestContext, test } from 'vitest';
import { s3ClientConfig } from '../../scripts/embedded-s3.ts';
import { type Driver, type Replica, selectTarget } from '../src/targets/index.ts';
import { until } from '../src/wait.ts';

// Created at load time, as in the other suites. A driver does nothing until it is asked.
const driver: Driver = selectTarget().driver(inject('targetState'));
afterAll(() => driver.close());

const SERVICE = 'static-site';

/** One object under the prefix: its key less the prefix (the path it is served at), its bytes. */
interface SiteObject {
  path: string;
  bytes: Buffer;
  sha256: string;
  contentType: string | undefined;
}

/** What GET /_static/release answers. */
interface Release {
  release: string;
  bucket: string;
  prefix: string;
  objects: number;
  files: Record<string, { size: number; sha256: string }>;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * Runs `fn` with an S3 client for the bucket, as the host reaches it now (on kind a port-forward
 * to the store's pod, made again after the store was recreated).
 */
async function withBucket<T>(
  fn: (s3: S3Client, bucket: string, prefix: string) => Promise<T>,
): Promise<T> {
  const access = await driver.objectStore(SERVICE);
  const s3 = new S3Client({ ...s3ClientConfig(access), maxAttempts: 3 });
  try {
    return await fn(s3, access.bucket, access.prefix);
  } finally {
    s3.destroy();
  }
}

/** Every object of the site under the prefix, with its bytes. */
function bucketContent(): Promise<SiteObject[]> {
  return withBucket(async (s3, bucket, prefix) => {
    const objects: SiteObject[] = [];
    for await (const page of paginateListObjectsV2(
      { client: s3 },
      { Bucket: bucket, Prefix: prefix },
    )) {
      for (const { Key } of page.Contents ?? []) {
        // `_static/` is the service's own (the seed's marker, seeded.json): never synced or served.
        if (!Key || Key.slice(prefix.length).startsWith('_static/')) continue;
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
        const bytes = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
        objects.push({
          path: Key.slice(prefix.length),
          bytes,
          sha256: sha256(bytes),
          contentType: object.ContentType,
        });
      }
    }
    return objects.sort((a, b) => a.path.localeCompare(b.path));
  });
}

function putObject(path: string, body: Buffer, contentType: string) {
  return withBucket((s3, bucket, prefix) =>
    s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: prefix + path,
        Body: body,
        ContentType: contentType,
      }),
    ),
  );
}

function deleteObject(path: string) {
  return withBucket((s3, bucket, prefix) =>
    s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: prefix + path })),
  );
}

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  bytes: Buffer;
}

/**
 * GET with node:http, bounded: the body exactly as sent (fetch would decode a Content-Encoding),
 * on a connection of its own.
 */
function get(url: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          bytes: Buffer.concat(chunks),
        }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** The URL path a key is served at: each segment percent-encoded. */
const pathOf = (key: string) => `/${key.split('/').map(encodeURIComponent).join('/')}`;

async function releaseOf(url: string): Promise<Release> {
  const answer = await get(`${url}/_static/release`);
  expect(answer.status, `GET /_static/release on ${url}`).toBe(200);
  return JSON.parse(answer.bytes.toString('utf8')) as Release;
}

/**
 * Each object as `replica` serves it, compared by SHA-256: a file as it is (Accept-Encoding:
 * identity), a precompressed `<file>.br` or `.gz` beside its file as that file's answer to a
 * request that accepts only that encoding. And the release document lists exactly these objects.
 */
async function expectServesBucket(replica: Replica, objects: SiteObject[]) {
  const paths = new Set(objects.map((o) => o.path));
  for (const object of objects) {
    const variant = /\.(br|gz)$/.exec(object.path);
    const base = variant ? object.path.slice(0, -variant[0].length) : object.path;
    const encoding = variant && paths.has(base) ? (variant[1] === 'br' ? 'br' : 'gzip') : undefined;
    const answer = await get(`${replica.url}${pathOf(encoding ? base : object.path)}`, {
      'accept-encoding': encoding ?? 'identity',
    });
    const what = `${object.path} on ${replica.id} (${replica.url})`;
    expect(answer.status, what).toBe(200);
    expect(answer.headers['content-encoding'], what).toBe(encoding);
    expect(answer.bytes.length, what).toBe(object.bytes.length);
    expect(sha256(answer.bytes), what).toBe(object.sha256);
  }
  const release = await releaseOf(replica.url);
  expect(Object.keys(release.files).sort()).toEqual([...paths].sort());
  for (const object of objects) {
    expect(release.files[object.path], object.path).toEqual({
      size: object.bytes.length,
      sha256: object.sha256,
    });
  }
  return release;
}

/**
 * Skips a test this target cannot run (the local target without the built site), naming why;
 * under CI=true it fails instead, since CI must never pass by skipping what it was meant to prove.
 */
function need(context: TestContext) {
  const reason = driver.unsupported(SERVICE, 'service');
  if (!reason) return;
  if (process.env.CI === 'true') throw new Error(`${reason} (under CI=true this fails)`);
  console.log(`skipped: ${reason}`);
  context.skip(reason);
}

async function twoReplicas(): Promise<[Replica, Replica]> {
  const [first, second] = await driver.waitForReplicas(SERVICE);
  if (!first || !second) throw new Error('static-site needs two replicas for this test');
  return [first, second];
}

/** Counts of a request loop: answers by status, and failures (network errors) by message. */
interface LoopCounts {
  requests: number;
  ok: number;
  failed: number;
  failures: Map<string, number>;
  /** 200s of the page whose content changes, by which content they had. */
  versions: Map<string, number>;
}

/**
 * `workers` loops of GETs against `url` until `stop` resolves, bounded in requests and time: each
 * fetches `paths` in turn, and the changing page's answers are classed by `version`.
 */
async function requestLoop(options: {
  url: string;
  paths: string[];
  stop: Promise<unknown>;
  version: (path: string, bytes: Buffer) => string | undefined;
  workers?: number;
  maxRequests?: number;
  maxMs?: number;
}): Promise<LoopCounts> {
  const { url, paths, workers = 4, maxRequests = 20_000, maxMs = 600_000 } = options;
  const counts: LoopCounts = {
    requests: 0,
    ok: 0,
    failed: 0,
    failures: new Map(),
    versions: new Map(),
  };
  let stopped = false;
  void options.stop.finally(() => {
    stopped = true;
  });
  const deadline = Date.now() + maxMs;
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  const worker = async (offset: number) => {
    for (let i = offset; !stopped && counts.requests < maxRequests && Date.now() < deadline; i++) {
      const path = paths[i % paths.length] as string;
      counts.requests++;
      try {
        const answer = await get(`${url}${path}`, { 'accept-encoding': 'identity' });
        if (answer.status === 200) {
          counts.ok++;
          const version = options.version(path, answer.bytes);
          if (version) bump(counts.versions, version);
        } else {
          counts.failed++;
          bump(
            counts.failures,
            `${path}: ${answer.status} ${answer.bytes.toString('utf8').slice(0, 120)}`,
          );
        }
      } catch (error) {
        counts.failed++;
        bump(counts.failures, `${path}: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, i) => worker(i)));
  return counts;
}

const describeCounts = (counts: LoopCounts) =>
  [...counts.versions].map(([version, n]) => `${n} ${version}`).join(', ');

describe(`static-site on the ${inject('target')} target`, () => {
  test('every object in the bucket is served byte for byte by every replica, and the release lists exactly them', async (context) => {
    need(context);
    const replicas = await twoReplicas();
    const objects = await bucketContent();
    expect(objects.map((o) => o.path)).toContain('index.html');
    const releases = [];
    for (const replica of replicas) releases.push(await expectServesBucket(replica, objects));
    const variants = objects.filter((o) => /\.(br|gz)$/.test(o.path)).length;
    console.log(
      `static-site e2e, served = bucket: ${objects.length} objects (${variants} precompressed ` +
        `variants, compared as Content-Encoding answers) byte for byte, SHA-256 verified, on ` +
        `${replicas.length} replicas (releases ${releases.map((r) => r.release).join(', ')})`,
    );
  });

  test('a changed object is served after a rollout restart, and no request fails during the rollout', async (context) => {
    need(context);
    await twoReplicas();
    const original = (await bucketContent()).find((o) => o.path === 'index.html');
    if (!original) throw new Error('the bucket has no index.html under its prefix');
    const marker = `e2e-rollout-${randomUUID()}`;
    const changed = Buffer.concat([original.bytes, Buffer.from(`\n<!-- ${marker} -->\n`)]);
    const added = `e2e/${marker}.txt`;
    const addedBytes = Buffer.from(`${marker}\n`);
    let counts: LoopCounts | undefined;
    try {
      await putObject('index.html', changed, original.contentType ?? 'text/html; charset=utf-8');
      await putObject(added, addedBytes, 'text/plain; charset=utf-8');
      const url = await driver.balancedUrl(SERVICE);
      const rollout = driver.rolloutRestart(SERVICE);
      // Bounded: 4 workers, at most 20 000 requests or 10 minutes, ended by the rollout.
      counts = await requestLoop({
        url,
        paths: ['/', '/index.html', '/_static/release'],
        stop: rollout.catch(() => {}),
        version: (path, bytes) =>
          path === '/_static/release' ? undefined : bytes.includes(marker) ? 'new' : 'old',
      });
      await rollout;
      expect([...counts.failures], `failed requests during the rollout`).toEqual([]);
      expect(counts.failed).toBe(0);
      expect(counts.ok).toBe(counts.requests);

      for (const replica of await twoReplicas()) {
        const page = await get(`${replica.url}/`, { 'accept-encoding': 'identity' });
        expect(page.status).toBe(200);
        expect(sha256(page.bytes), `index.html on ${replica.id}`).toBe(sha256(changed));
        const file = await get(`${replica.url}${pathOf(added)}`);
        expect(file.status).toBe(200);
        expect(file.bytes.equals(addedBytes)).toBe(true);
        const release = await releaseOf(replica.url);
        expect(release.files[added]).toEqual({
          size: addedBytes.length,
          sha256: sha256(addedBytes),
        });
      }
    } finally {
      // The bucket as it was, and replicas that serve it, for whichever test comes next.
      await putObject(
        'index.html',
        original.bytes,
        original.contentType ?? 'text/html; charset=utf-8',
      );
      await deleteObject(added);
      await driver.rolloutRestart(SERVICE);
    }
    for (const replica of await twoReplicas()) {
      const page = await get(`${replica.url}/`, { 'accept-encoding': 'identity' });
      expect(sha256(page.bytes), `index.html restored on ${replica.id}`).toBe(original.sha256);
      expect((await get(`${replica.url}${pathOf(added)}`)).status).toBe(404);
    }
    console.log(
      `static-site e2e, a rollout restart after a change in the bucket: ${counts.requests} ` +
        `requests during the rollout, ${counts.ok} answered 200, ${counts.failed} failed ` +
        `(index pages: ${describeCounts(counts)}); after it every replica served the new content`,
    );
  });

  test('a killed replica loses nothing: the other serves meanwhile, and its replacement serves the same content', async (context) => {
    need(context);
    const [victim, survivor] = await twoReplicas();
    const before = await releaseOf(survivor.url);
    try {
      await driver.killReplica(SERVICE, victim);
      const page = await get(`${survivor.url}/`, { 'accept-encoding': 'identity' });
      expect(page.status).toBe(200);
      expect(sha256(page.bytes)).toBe(before.files['index.html']?.sha256);
    } finally {
      await driver.waitForReplicas(SERVICE);
    }
    const after = await twoReplicas();
    const objects = await bucketContent();
    for (const replica of after) {
      const release = await expectServesBucket(replica, objects);
      expect(release.files).toEqual(before.files);
    }
    console.log(
      `static-site e2e, a replica killed: the other served throughout; ${after.length} replicas ` +
        `after, each serving all ${Object.keys(before.files).length} files of the bucket, hashes verified`,
    );
  });

  test('with the object store down, a new replica stays unready while the old ones keep serving; it becomes ready once the store is back', async (context) => {
    need(context);
    const replicas = await twoReplicas();
    const expected = await releaseOf(replicas[0].url);
    const polls: string[] = [];
    let added: Awaited<ReturnType<Driver['addReplica']>> | undefined;
    try {
      await driver.restartStore(SERVICE, {
        kill: false,
        async whileDown() {
          added = await driver.addReplica(SERVICE);
          const fresh = added;
          // Several polls over a bounded window (8 polls, at least 1 s apart): never ready.
          for (let i = 0; i < 8; i++) {
            const readiness = await fresh.readiness();
            polls.push(readiness.detail);
            expect(readiness.ready, `the new replica, poll ${i + 1}: ${readiness.detail}`).toBe(
              false,
            );
            for (const replica of replicas) {
              const page = await get(`${replica.url}/`, { 'accept-encoding': 'identity' });
              expect(page.status, `${replica.id} while the store is down`).toBe(200);
              expect(sha256(page.bytes)).toBe(expected.files['index.html']?.sha256);
              expect((await get(`${replica.url}/readyz`)).status).toBe(200);
            }
            await new Promise((resolve) => setTimeout(resolve, 1_000));
          }
        },
      });
      // restartStore waits for the full count, the new replica included: it synced by itself.
      const fresh = added;
      if (!fresh) throw new Error('no replica was added');
      const ready = await until('the new replica to be ready', async () =>
        (await fresh.readiness()).ready ? true : undefined,
      );
      expect(ready).toBe(true);
      const all = await driver.waitForReplicas(SERVICE);
      expect(all.length).toBe(replicas.length + 1);
      for (const replica of all)
        expect((await releaseOf(replica.url)).files).toEqual(expected.files);
    } finally {
      await driver.scale(SERVICE, replicas.length);
    }
    console.log(
      `static-site e2e, the object store down: a new replica stayed unready over ${polls.length} ` +
        `polls (${[...new Set(polls)].join('; ')}) while ${replicas.length} old ones served 200; ` +
        'once the store was back it synced and served the same files',
    );
  });
});
