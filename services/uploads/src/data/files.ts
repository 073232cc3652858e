// The few filesystem moves every store here is built from: write a small file whole or not at
// all, publish a finished file under a name only if the name is free, and make a directory's
// entries durable. On Linux filesystems and on NFS (what ReadWriteMany volumes are) link() and
// rename() are atomic, and link() refuses a name that exists.
import { randomUUID } from 'node:crypto';
import { link, open, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StorageFull, StorageUnavailable } from '../domain/uploads.ts';

export function isErrno(error: unknown, ...codes: string[]): boolean {
  return codes.includes((error as NodeJS.ErrnoException | null)?.code ?? '');
}

/** A filesystem error as the domain names it: full, or not usable; anything else as it is. */
export function storageError(error: unknown): unknown {
  if (isErrno(error, 'ENOSPC', 'EDQUOT')) return new StorageFull(error);
  // ENOENT and ENOTDIR where the service's own directories should be: the volume is gone.
  const codes = [
    'EROFS',
    'EACCES',
    'EPERM',
    'EIO',
    'ENOTCONN',
    'ESTALE',
    'ENODEV',
    'ENOENT',
    'ENOTDIR',
  ];
  if (isErrno(error, ...codes)) {
    return new StorageUnavailable(error);
  }
  return error;
}

/** Removes `path`; a file already gone is fine. */
export async function removeFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
  }
}

/** fsync on a directory: the names linked or renamed into it survive a power cut. */
export async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `data` to a new file at `path` and fsyncs it; a file already there is an EEXIST. */
export async function writeNewFile(path: string, data: string): Promise<void> {
  const handle = await open(path, 'wx', 0o640);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Gives the finished file at `from` the name `to`, only if no file has it: true when it was
 * published, false when `to` existed already. `from` keeps its own name either way.
 */
export async function publish(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (error) {
    if (isErrno(error, 'EEXIST')) return false;
    throw error;
  }
}

/**
 * Writes `data` to `path` whole or not at all: into a fresh file in `scratch` (on the same
 * filesystem), fsynced, then linked (`exclusive`: false when `path` exists) or renamed over it.
 */
export async function writeAtomically(
  path: string,
  data: string,
  options: { scratch: string; prefix: string; exclusive: boolean },
): Promise<boolean> {
  const temp = join(options.scratch, `${options.prefix}.${randomUUID()}.tmp`);
  try {
    await writeNewFile(temp, data);
    let written = true;
    if (options.exclusive) written = await publish(temp, path);
    else await rename(temp, path);
    if (written) await syncDirectory(dirname(path));
    return written;
  } finally {
    await removeFile(temp);
  }
}
