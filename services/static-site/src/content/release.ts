// The layout of STATIC_DIR, shared by the sync (which writes it) and the server (which reads it):
//
//   releases/<id>/manifest.json   what the copy holds, written last, after every file is verified
//   releases/<id>/site/<path>     one file per object, its key less the prefix
//   current -> releases/<id>      the copy being served, switched by rename (atomic)
//
// A release directory is complete or absent: the sync fills `releases/.partial-<id>/` and renames
// it into place only when every file and the manifest are written and flushed.
import { readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

export const RELEASES = 'releases';
export const CURRENT = 'current';
export const MANIFEST = 'manifest.json';
export const SITE = 'site';
export const PARTIAL_PREFIX = '.partial-';
/**
 * The seed's marker, under the prefix: written last by every seed, so that its presence says a
 * seed has finished at least once. Under `_static/`, which the server reserves for itself, so
 * it is never a page of the site.
 */
export const SEED_MARKER = '_static/seeded.json';

const fileEntry = z.object({
  size: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The store's ETag for the object, as listed and as downloaded. */
  etag: z.string(),
  /** The object's Last-Modified in the store, ISO 8601. */
  lastModified: z.iso.datetime(),
  /** The Content-Type the object was stored with, if any. */
  contentType: z.string().optional(),
});

export const manifestSchema = z.object({
  release: z.string().regex(/^[0-9A-Za-z_-]{1,64}$/),
  bucket: z.string(),
  prefix: z.string(),
  syncedAt: z.iso.datetime(),
  objects: z.number().int().min(0),
  bytes: z.number().int().min(0),
  /** Keys under the prefix that could not be files here, and why; they are not served. */
  skipped: z.array(z.object({ key: z.string(), reason: z.string() })),
  files: z.record(z.string(), fileEntry),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type FileEntry = z.infer<typeof fileEntry>;

/** A sortable, unique release id: the UTC time of the sync, to the millisecond, and a random suffix. */
export function newReleaseId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Why a key (less the prefix) cannot be a file under the release's site directory, or undefined
 * when it can. The bucket is not trusted: a key is a path only if every segment is a plain name.
 */
export function keyProblem(relative: string): string | undefined {
  if (relative === '') return 'is the prefix itself';
  if (relative.endsWith('/')) return 'is a folder marker';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  if (/[\u0000-\u001f\u007f\\]/.test(relative)) return 'holds a control character or a backslash';
  if (Buffer.byteLength(relative) > 1024) return 'is longer than 1024 bytes';
  for (const segment of relative.split('/')) {
    if (segment === '') return 'has an empty segment (//)';
    if (segment === '.' || segment === '..') return 'has a "." or ".." segment';
    if (Buffer.byteLength(segment) > 255) return 'has a segment longer than 255 bytes';
  }
  return undefined;
}

/** The release `current` points to, or undefined while there is none. */
export async function currentRelease(dir: string): Promise<string | undefined> {
  try {
    const target = await readlink(join(dir, CURRENT));
    const match = /^releases\/([0-9A-Za-z_-]{1,64})$/.exec(target);
    if (!match) throw new Error(`${join(dir, CURRENT)} points to ${target}, not to releases/<id>`);
    return match[1];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Reads and checks one release's manifest. */
export async function readManifest(dir: string, release: string): Promise<Manifest> {
  const text = await readFile(join(dir, RELEASES, release, MANIFEST), 'utf8');
  const manifest = manifestSchema.parse(JSON.parse(text));
  if (manifest.release !== release) {
    throw new Error(`the manifest of release ${release} names release ${manifest.release}`);
  }
  return manifest;
}
