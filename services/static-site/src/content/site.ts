import { createHash } from 'node:crypto';
import { lstat, readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@quadrants/service-kit';
import mime from 'mime-types';
import { type Manifest, RELEASES, readManifest, SITE } from './release.ts';

/** One stored form of a file: as it is, or precompressed. */
export interface Representation {
  /** Absolute path of the file on disk. */
  path: string;
  size: number;
  /** Strong ETag from the bytes' SHA-256: the same on every replica, and per encoding. */
  etag: string;
  /** The bytes, when the file is small enough to keep in memory. */
  body?: Buffer;
}

/** One path the site serves. */
export interface SiteFile {
  /** The key less the prefix: `index.html`, `assets/app.3f2a9c1e.css`. */
  key: string;
  contentType: string;
  cacheControl: string;
  lastModified: string;
  identity: Representation;
  /** Precompressed forms, stored beside it as `<key>.br` and `<key>.gz`. */
  br?: Representation;
  gzip?: Representation;
}

export interface Site {
  manifest: Manifest;
  files: ReadonlyMap<string, SiteFile>;
  /** Every folder that holds a file, as `a/b`, for redirecting `/a/b` to `/a/b/`. */
  folders: ReadonlySet<string>;
}

export interface LoadOptions {
  /** Files up to this size are kept in memory. */
  memoryFileLimit: number;
  /** Whole memory they may take. */
  memoryBudget: number;
  log: Logger;
}

/** A name with a content hash before its extension, as the site's build writes them. */
const FINGERPRINTED = /\.[0-9a-f]{8,}\.[0-9a-z]+$/i;

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const REVALIDATE = 'no-cache';

function typeOf(key: string, stored: string | undefined): string {
  return mime.contentType(key.split('/').pop() ?? key) || stored || 'application/octet-stream';
}

/**
 * The file at `key` as a representation, or undefined when the file on disk is not the one the
 * manifest describes: not a regular file, reached through a symbolic link, or another size. The
 * release directory is the sync's, but the server trusts only what it checked.
 */
async function representation(
  siteDir: string,
  key: string,
  entry: Manifest['files'][string],
  memory: { left: number; fileLimit: number },
  log: Logger,
): Promise<Representation | undefined> {
  const path = join(siteDir, key);
  try {
    const [stats, resolved] = await Promise.all([lstat(path), realpath(path)]);
    if (!stats.isFile() || resolved !== path || stats.size !== entry.size) {
      log.error({ key, path, resolved }, 'file skipped: not the regular file the manifest lists');
      return undefined;
    }
  } catch (error) {
    log.error({ key, err: error }, 'file skipped: missing from the release');
    return undefined;
  }
  const found: Representation = { path, size: entry.size, etag: `"${entry.sha256.slice(0, 32)}"` };
  if (entry.size <= memory.fileLimit && entry.size <= memory.left) {
    const body = await readFile(path);
    if (createHash('sha256').update(body).digest('hex') !== entry.sha256) {
      log.error({ key }, 'file skipped: its bytes do not match the manifest');
      return undefined;
    }
    memory.left -= body.length;
    found.body = body;
  }
  return found;
}

/** Loads a complete release: its manifest, and an index of every file it serves. */
export async function loadSite(dir: string, release: string, options: LoadOptions): Promise<Site> {
  const manifest = await readManifest(dir, release);
  const siteDir = join(await realpath(join(dir, RELEASES, release)), SITE);
  const memory = { left: options.memoryBudget, fileLimit: options.memoryFileLimit };
  const keys = new Set(Object.keys(manifest.files));
  const variantOf = (key: string, suffix: string) =>
    key.endsWith(suffix) && keys.has(key.slice(0, -suffix.length));

  const files = new Map<string, SiteFile>();
  const folders = new Set<string>();
  for (const [key, entry] of Object.entries(manifest.files)) {
    if (variantOf(key, '.br') || variantOf(key, '.gz')) continue;
    const identity = await representation(siteDir, key, entry, memory, options.log);
    if (!identity) continue;
    const file: SiteFile = {
      key,
      contentType: typeOf(key, entry.contentType),
      cacheControl: FINGERPRINTED.test(key) ? IMMUTABLE : REVALIDATE,
      lastModified: new Date(entry.lastModified).toUTCString(),
      identity,
    };
    for (const [encoding, suffix] of [
      ['br', '.br'],
      ['gzip', '.gz'],
    ] as const) {
      const stored = manifest.files[key + suffix];
      if (!stored) continue;
      const variant = await representation(siteDir, key + suffix, stored, memory, options.log);
      if (variant) file[encoding] = variant;
    }
    files.set(key, file);
    const segments = key.split('/');
    for (let i = 1; i < segments.length; i++) folders.add(segments.slice(0, i).join('/'));
  }
  return { manifest, files, folders };
}
