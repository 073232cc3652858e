import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Logger } from '@quadrants/service-kit';
import mime from 'mime-types';
import { keyProblem, SEED_MARKER } from './release.ts';
import { storeErrorMessage } from './s3.ts';

export interface SeedOptions {
  s3: S3Client;
  bucket: string;
  prefix: string;
  /** The directory uploaded: its files become keys under the prefix. */
  source: string;
  log: Logger;
  signal?: AbortSignal;
}

export interface SeedResult {
  uploaded: number;
  unchanged: number;
  deleted: number;
  bytes: number;
}

interface Upload {
  key: string;
  body: Buffer;
  contentType: string;
  md5: string;
  sha256: string;
}

/** Types worth precompressing: text, and the binary formats that are not compressed already. */
const COMPRESSIBLE =
  /^(?:text\/|application\/(?:[a-z.+-]*json|javascript|xml|wasm|manifest\+json)|image\/svg\+xml|font\/(?:ttf|otf))/;
/** Below this a compressed copy saves less than a packet. */
const MIN_COMPRESS_BYTES = 1024;

function upload(key: string, body: Buffer, contentType: string): Upload {
  return {
    key,
    body,
    contentType,
    md5: createHash('md5').update(body).digest('hex'),
    sha256: createHash('sha256').update(body).digest('hex'),
  };
}

/**
 * The objects that stand for the directory: each file as it is, and beside each compressible
 * one its Brotli (`.br`, quality 11) and gzip (`.gz`, level 9) forms where they are smaller. A
 * `.br` or `.gz` file already in the directory is kept as it is and not made again.
 */
async function objectsOf(source: string, prefix: string, log: Logger): Promise<Upload[]> {
  const entries = await readdir(source, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => {
      if (entry.isSymbolicLink())
        log.warn({ path: join(entry.parentPath, entry.name) }, 'symbolic link not uploaded');
      return entry.isFile();
    })
    .map((entry) => relative(source, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
  const present = new Set(files);
  const objects: Upload[] = [];
  for (const file of files) {
    const problem = keyProblem(file);
    if (problem) throw new Error(`${file} cannot be a key: it ${problem}`);
    const body = await readFile(join(source, file));
    const contentType =
      mime.contentType(file.split('/').pop() ?? file) || 'application/octet-stream';
    objects.push(upload(prefix + file, body, contentType));
    if (!COMPRESSIBLE.test(contentType) || body.length < MIN_COMPRESS_BYTES) continue;
    const forms = [
      [
        '.br',
        () =>
          brotliCompressSync(body, {
            params: {
              [constants.BROTLI_PARAM_QUALITY]: 11,
              [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
            },
          }),
      ],
      ['.gz', () => gzipSync(body, { level: 9 })],
    ] as const;
    for (const [suffix, compress] of forms) {
      if (present.has(file + suffix)) continue;
      const compressed = compress();
      // Worth a second object only if it saves a tenth.
      if (compressed.length <= body.length * 0.9) {
        objects.push(upload(prefix + file + suffix, compressed, contentType));
      }
    }
  }
  return objects;
}

async function ensureBucket(s3: S3Client, bucket: string, log: Logger): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404)
      throw error;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    log.info({ bucket }, `bucket ${bucket} created`);
  }
}

async function existing(
  s3: S3Client,
  bucket: string,
  prefix: string,
): Promise<Map<string, string>> {
  const etags = new Map<string, string>();
  for await (const page of paginateListObjectsV2(
    { client: s3, pageSize: 1000 },
    { Bucket: bucket, Prefix: prefix },
  )) {
    for (const object of page.Contents ?? [])
      if (object.Key) etags.set(object.Key, object.ETag ?? '');
  }
  return etags;
}

async function inBatches<T>(
  items: readonly T[],
  size: number,
  work: (item: T) => Promise<unknown>,
) {
  for (let i = 0; i < items.length; i += size)
    await Promise.all(items.slice(i, i + size).map(work));
}

/**
 * Makes the bucket's prefix hold exactly the directory: creates the bucket if it is missing,
 * uploads what is new or changed (an object whose ETag is the file's MD5 is left alone), the
 * pages last, so that a sync running meanwhile finds either the old pages or the new pages with
 * their assets already there; then deletes the keys the directory no longer has, and last
 * writes the marker (`_static/seeded.json` under the prefix) the sync waits for. Idempotent.
 */
export async function seedOnce(options: SeedOptions): Promise<SeedResult> {
  const { s3, bucket, prefix, source, log } = options;
  const objects = await objectsOf(source, prefix, log);
  if (objects.length === 0) throw new Error(`${source} holds no files to upload`);
  await ensureBucket(s3, bucket, log);
  const stored = await existing(s3, bucket, prefix);
  const changed = objects.filter((object) => stored.get(object.key) !== `"${object.md5}"`);
  const isPage = (object: Upload) => object.contentType.startsWith('text/html');
  const put = (object: Upload) =>
    s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: object.key,
        Body: object.body,
        ContentType: object.contentType,
        ContentMD5: Buffer.from(object.md5, 'hex').toString('base64'),
        Metadata: { sha256: object.sha256 },
      }),
    );
  await inBatches(
    changed.filter((object) => !isPage(object)),
    8,
    put,
  );
  await inBatches(changed.filter(isPage), 8, put);
  const marker = prefix + SEED_MARKER;
  const wanted = new Set([...objects.map((object) => object.key), marker]);
  const stale = [...stored.keys()].filter((key) => !wanted.has(key));
  await inBatches(stale, 8, (key) =>
    s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })),
  );
  // Last: the sign that a seed finished, which the sync waits for.
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: marker,
      Body: JSON.stringify({ seededAt: new Date().toISOString(), objects: objects.length }),
      ContentType: 'application/json',
    }),
  );
  return {
    uploaded: changed.length,
    unchanged: objects.length - changed.length,
    deleted: stale.length,
    bytes: changed.reduce((sum, object) => sum + object.body.length, 0),
  };
}

/** Seeds, waiting up to `waitMs` for the store to answer (a Job started beside it). */
export async function seedWhenReachable(
  options: SeedOptions & { waitMs: number },
): Promise<SeedResult> {
  const deadline = Date.now() + options.waitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await seedOnce(options);
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata
        ?.httpStatusCode;
      // A client error other than throttling is the request's fault: trying again will not help.
      const final = status !== undefined && status >= 400 && status < 500 && status !== 429;
      const delayMs = Math.min(5_000, 250 * 2 ** (attempt - 1));
      if (final || Date.now() + delayMs > deadline || options.signal?.aborted) {
        throw new Error(storeErrorMessage(error), { cause: error });
      }
      options.log.warn(
        { attempt, retryInMs: delayMs, error: storeErrorMessage(error) },
        'seed failed; retrying',
      );
      await sleep(delayMs, undefined, options.signal ? { signal: options.signal } : {});
    }
  }
}
