import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '@quadrants/service-kit';
import type { SyncConfig } from '../config.ts';
import {
  CURRENT,
  type FileEntry,
  keyProblem,
  MANIFEST,
  type Manifest,
  newReleaseId,
  PARTIAL_PREFIX,
  RELEASES,
  SEED_MARKER,
  SITE,
} from './release.ts';
import { createS3Client, storeErrorMessage } from './s3.ts';

export interface SyncOptions {
  s3: S3Client;
  bucket: string;
  prefix: string;
  /** STATIC_DIR: releases/ and current go under it. */
  dir: string;
  /** Files downloaded at once. */
  concurrency: number;
  /** Complete releases kept, the new one included. */
  keep: number;
  log: Logger;
  /**
   * Refuse a prefix without the seed's marker (the first seed has not finished): without it a
   * sync racing the first seed would take half a site for a whole one. False for a bucket that
   * something else fills.
   */
  requireSeed: boolean;
  /** Keys per ListObjectsV2 page: 1000, the most S3 answers; smaller in tests of paging. */
  pageSize?: number;
  /** Aborts the sync (shutdown): the partial copy is removed, nothing is switched. */
  signal?: AbortSignal;
}

export interface RetryOptions extends SyncOptions {
  /** Longest wait between attempts; the first waits 250 ms, each next one twice as long. */
  maxBackoffMs: number;
}

/** The copy does not match what the store listed: a changed object or a corrupted transfer. */
export class IntegrityError extends Error {
  override name = 'IntegrityError';
}

interface Listed {
  key: string;
  relative: string;
  size: number;
  etag: string;
}

/** Every object under the prefix, page by page (ListObjectsV2 answers at most 1000 at once). */
async function listObjects(options: SyncOptions): Promise<Listed[]> {
  const { s3, bucket, prefix, signal } = options;
  const listed: Listed[] = [];
  for await (const page of paginateListObjectsV2(
    { client: s3, pageSize: options.pageSize ?? 1000 },
    { Bucket: bucket, Prefix: prefix },
  )) {
    signal?.throwIfAborted();
    for (const object of page.Contents ?? []) {
      if (object.Key === undefined) continue;
      listed.push({
        key: object.Key,
        relative: object.Key.slice(prefix.length),
        size: object.Size ?? 0,
        etag: object.ETag ?? '',
      });
    }
  }
  return listed;
}

/**
 * Splits the listing into the objects that become files and those that cannot: a key that is no
 * plain relative path, or one that is also a folder of another key (`a` beside `a/b`).
 */
function plan(listed: readonly Listed[]): { files: Listed[]; skipped: Manifest['skipped'] } {
  const folders = new Set<string>();
  for (const { relative } of listed) {
    const segments = relative.split('/');
    for (let i = 1; i < segments.length; i++) folders.add(segments.slice(0, i).join('/'));
  }
  const files: Listed[] = [];
  const skipped: Manifest['skipped'] = [];
  for (const object of listed) {
    const problem =
      keyProblem(object.relative) ??
      (folders.has(object.relative) ? 'is also a folder of other keys' : undefined);
    if (problem) skipped.push({ key: object.key, reason: problem });
    else files.push(object);
  }
  return { files, skipped };
}

/** Hashes what passes through, and counts it. */
function digesting() {
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sha256.update(chunk);
      md5.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  return {
    stream,
    result: () => ({ bytes, sha256: sha256.digest('hex'), md5: md5.digest('hex') }),
  };
}

/** Downloads one object to `path` and checks it against the listing; returns its entry. */
async function download(options: SyncOptions, object: Listed, path: string): Promise<FileEntry> {
  const { s3, bucket, signal } = options;
  const response = await s3.send(
    // If-Match: a store that honours it answers 412 when the object changed since the listing.
    new GetObjectCommand({ Bucket: bucket, Key: object.key, IfMatch: object.etag || undefined }),
    signal ? { abortSignal: signal } : {},
  );
  if (response.ETag !== object.etag) {
    throw new IntegrityError(
      `${object.key} changed during the sync (ETag ${response.ETag}, listed ${object.etag})`,
    );
  }
  await mkdir(dirname(path), { recursive: true });
  const digest = digesting();
  await pipeline(
    response.Body as Readable,
    digest.stream,
    createWriteStream(path, { flags: 'wx', flush: true }),
    { signal },
  );
  const got = digest.result();
  if (got.bytes !== object.size) {
    throw new IntegrityError(
      `${object.key}: got ${got.bytes} bytes, the listing says ${object.size}`,
    );
  }
  // A single-part upload's ETag is the MD5 of its bytes; a multipart one's ("…-N") is not.
  const md5 = /^"([0-9a-f]{32})"$/.exec(object.etag)?.[1];
  if (md5 !== undefined && md5 !== got.md5) {
    throw new IntegrityError(
      `${object.key}: MD5 ${got.md5} does not match its ETag ${object.etag}`,
    );
  }
  const declared = response.Metadata?.sha256;
  if (declared !== undefined && declared !== got.sha256) {
    throw new IntegrityError(
      `${object.key}: SHA-256 ${got.sha256} does not match its metadata (${declared})`,
    );
  }
  return {
    size: got.bytes,
    sha256: got.sha256,
    etag: object.etag,
    lastModified: (response.LastModified ?? new Date()).toISOString(),
    ...(response.ContentType ? { contentType: response.ContentType } : {}),
  };
}

/**
 * Runs `work` over `items`, `limit` at a time. The first failure stops new work; it is thrown
 * once every started item has settled, so that nothing still writes when the caller cleans up.
 */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
) {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}

/** fsync on a directory: makes the names created in it (files, renames) durable. */
async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Removes partial copies and all but the newest `keep` releases, never the one served. */
async function prune(dir: string, served: string, keep: number, log: Logger): Promise<void> {
  const root = join(dir, RELEASES);
  const names = (await readdir(root)).sort();
  const complete = names.filter((name) => !name.startsWith('.'));
  const old = complete
    .filter((name) => name !== served)
    .slice(0, Math.max(0, complete.length - keep));
  const partial = names.filter((name) => name.startsWith(PARTIAL_PREFIX));
  for (const name of [...partial, ...old]) {
    await rm(join(root, name), { recursive: true, force: true });
  }
  if (old.length + partial.length > 0)
    log.debug({ removed: [...partial, ...old] }, 'old copies removed');
}

/**
 * One attempt: lists the prefix, downloads every object into a fresh partial directory, checks
 * each against the listing, writes the manifest, renames the directory into releases/ and only
 * then points `current` at it. Any failure leaves `current` as it was.
 */
export async function syncOnce(options: SyncOptions): Promise<Manifest> {
  const { dir, bucket, prefix, log } = options;
  const release = newReleaseId();
  const releases = join(dir, RELEASES);
  const partial = join(releases, `${PARTIAL_PREFIX}${release}`);
  await mkdir(partial, { recursive: true });
  try {
    const all = await listObjects(options);
    const seeded = all.some((object) => object.relative === SEED_MARKER);
    if (options.requireSeed && !seeded) {
      throw new Error(
        `s3://${bucket}/${prefix} has no ${SEED_MARKER} yet: no seed has finished (STATIC_SYNC_REQUIRE_SEED=false takes the prefix as it is)`,
      );
    }
    // The server's own paths (_static/) are never files of the site.
    const listed = all.filter((object) => !object.relative.startsWith('_static/'));
    const { files, skipped } = plan(listed);
    if (files.length === 0) {
      throw new Error(`no objects under s3://${bucket}/${prefix} yet (has the site been seeded?)`);
    }
    for (const { key, reason } of skipped)
      log.warn({ key, reason }, 'object skipped: not a file path');
    const entries: Manifest['files'] = {};
    await eachLimited(files, options.concurrency, async (object) => {
      entries[object.relative] = await download(
        options,
        object,
        join(partial, SITE, object.relative),
      );
    });
    const manifest: Manifest = {
      release,
      bucket,
      prefix,
      syncedAt: new Date().toISOString(),
      objects: files.length,
      bytes: files.reduce((sum, file) => sum + file.size, 0),
      skipped,
      files: Object.fromEntries(Object.entries(entries).sort(([a], [b]) => (a < b ? -1 : 1))),
    };
    await writeFile(join(partial, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, {
      flag: 'wx',
      flush: true,
    });
    // Every file was flushed as it was written; now the directory entries, then the switch.
    const folders = new Set(files.map((file) => dirname(join(partial, SITE, file.relative))));
    for (const folder of folders) await syncDirectory(folder);
    await syncDirectory(partial);
    await rename(partial, join(releases, release));
    await syncDirectory(releases);
    const link = join(dir, `${CURRENT}.${release}`);
    await symlink(`${RELEASES}/${release}`, link);
    await rename(link, join(dir, CURRENT));
    await syncDirectory(dir);
    await prune(dir, release, options.keep, log);
    return manifest;
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
}

/** What a failed attempt's log line says: the store's error name and status, or the message. */
function describe(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  const message = storeErrorMessage(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const code = (error as NodeJS.ErrnoException).code;
  return {
    error: message,
    kind: error.name,
    ...(status ? { status } : {}),
    ...(code ? { code } : {}),
  };
}

/**
 * Syncs until a complete copy is in place, however long the store is away: attempts are spaced
 * by capped exponential backoff with jitter, inside the process, so that a pod waits in its
 * initContainer rather than in CrashLoopBackOff (whose delays grow to five minutes and can
 * outlast a rollout's wait). Only `signal` stops it.
 */
export async function syncUntilDone(options: RetryOptions): Promise<Manifest> {
  const { log, signal, maxBackoffMs } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      const manifest = await syncOnce(options);
      log.info(
        { release: manifest.release, objects: manifest.objects, bytes: manifest.bytes, attempt },
        `synced s3://${options.bucket}/${options.prefix}: ${manifest.objects} objects, ${manifest.bytes} bytes`,
      );
      return manifest;
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const ceiling = Math.min(maxBackoffMs, 250 * 2 ** Math.min(attempt - 1, 20));
      const delayMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
      log.warn({ attempt, retryInMs: delayMs, ...describe(error) }, 'sync failed; retrying');
      await sleep(delayMs, undefined, signal ? { signal } : {}).catch(() => {
        throw signal?.reason;
      });
    }
  }
}

/**
 * syncUntilDone as the configuration says, with a client of its own for the run: the one way
 * both the sync command and the server (STATIC_SYNC_ON_START) sync.
 */
export async function syncFromConfig(
  config: Omit<SyncConfig, 'LOG_LEVEL'>,
  log: Logger,
  signal: AbortSignal,
): Promise<Manifest> {
  const s3 = createS3Client(config);
  try {
    return await syncUntilDone({
      s3,
      bucket: config.S3_BUCKET,
      prefix: config.S3_PREFIX,
      dir: config.STATIC_DIR,
      concurrency: config.STATIC_SYNC_CONCURRENCY,
      requireSeed: config.STATIC_SYNC_REQUIRE_SEED,
      keep: config.STATIC_KEEP_RELEASES,
      maxBackoffMs: config.STATIC_SYNC_MAX_BACKOFF_MS,
      log,
      signal,
    });
  } finally {
    s3.destroy();
  }
}
