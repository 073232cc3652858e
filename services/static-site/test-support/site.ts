// The pieces the component tests put together: a directory of site files, seeded into a bucket,
// synced into a STATIC_DIR, and the real app serving it on a free port.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { listenOnFreePort, type RunningApp, testKit } from '@quadrants/service-kit/testing';
import { createApp } from '../src/app.ts';
import { currentRelease } from '../src/content/release.ts';
import { seedOnce } from '../src/content/seed.ts';
import { loadSite, type Site } from '../src/content/site.ts';
import { type SyncOptions, syncOnce } from '../src/content/sync.ts';

export const quiet = testKit({
  service: 'static-site',
  level: process.env.STATIC_TEST_LOG ?? 'silent',
}).log;

/** A fresh temporary directory, removed by the returned cleanup. */
export async function tempDir(name: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `static-site-${name}-`));
}

/** Writes `files` (path → content) under a fresh directory and returns it. */
export async function siteSource(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await tempDir('source');
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

export function syncOptions(
  s3: S3Client,
  bucket: string,
  dir: string,
  extra: Partial<SyncOptions> = {},
): SyncOptions {
  return {
    s3,
    bucket,
    prefix: 'site/',
    dir,
    concurrency: 4,
    keep: 2,
    requireSeed: true,
    log: quiet,
    ...extra,
  };
}

export interface ServedSite extends RunningApp {
  dir: string;
  site: Site;
}

/** Seeds `files` into `bucket`, syncs them into a fresh STATIC_DIR and serves them. */
export async function serveSite(
  s3: S3Client,
  bucket: string,
  files: Record<string, string | Buffer>,
  options: { spaFallback?: boolean; memoryFileLimit?: number } = {},
): Promise<ServedSite> {
  const source = await siteSource(files);
  const dir = await tempDir('served');
  try {
    await seedOnce({ s3, bucket, prefix: 'site/', source, log: quiet });
    await syncOnce(syncOptions(s3, bucket, dir));
  } finally {
    await rm(source, { recursive: true, force: true });
  }
  return serveDir(dir, options);
}

/** Serves the release STATIC_DIR `dir` points to, as main.ts does once it is loaded. */
export async function serveDir(
  dir: string,
  options: { spaFallback?: boolean; memoryFileLimit?: number } = {},
): Promise<ServedSite> {
  const release = await currentRelease(dir);
  if (!release) throw new Error(`${dir} has no current release`);
  const site = await loadSite(dir, release, {
    memoryFileLimit: options.memoryFileLimit ?? 1024 ** 2,
    memoryBudget: 64 * 1024 ** 2,
    log: quiet,
  });
  const kit = testKit({ service: 'static-site' });
  const running = await listenOnFreePort(
    createApp({ ...kit, site: () => site, spaFallback: options.spaFallback ?? false }),
  );
  return {
    ...running,
    dir,
    site,
    async close() {
      await running.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
