// Idempotency-Keys on the shared volume, so that a retry reaching another replica is answered
// the same way. Per key (named by a hash, so any key is a safe file name):
//
//   keys/<hash>.lock   held while a request with the key runs: {instance, expiresAt}
//   keys/<hash>.json   the stored answer: {fingerprint, response, expiresAt}
//
// The lock is taken with O_EXCL, so a second request with the key answers 409 while the first
// runs. A lock whose holder died expires (the request timeout bounds every holder) and is
// taken over. The answer is published with link(), which refuses a name that exists: even two
// holders after a takeover race cannot store two answers.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyInUse, type StoredResponse } from '@quadrants/service-kit';
import { isErrno, removeFile, storageError, writeAtomically, writeNewFile } from './files.ts';

/** What is kept under a key: the request's fingerprint, and the answer to replay. */
export interface KeyRecord {
  fingerprint: string;
  response: StoredResponse;
}

interface StoredRecord extends KeyRecord {
  expiresAt: number;
}

interface LockFile {
  instance: string;
  expiresAt: number;
}

/** A key held by this request: what was stored under it before, if anything, and the hand-back. */
export interface KeyClaim {
  stored: KeyRecord | undefined;
  /** Stores the answer; returns the answer that is stored (another's, after a takeover race). */
  complete(record: KeyRecord): Promise<KeyRecord>;
  /** Lets the key go; safe to call more than once. */
  release(): Promise<void>;
}

export interface KeyStore {
  /** Takes the key for one request, or throws KeyInUse while another request holds it. */
  claim(key: string): Promise<KeyClaim>;
  /** Removes expired answers and locks: every instance's expired ones, and (`own`) this one's. */
  sweep(options: { own: boolean }): Promise<number>;
}

export interface KeyStoreOptions {
  root: string;
  instance: string;
  /** How long an answer is replayed. */
  ttlMs: number;
  /** Longest a request may hold a key: past it, its lock is taken as abandoned. */
  holdMs: number;
  now?: () => number;
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
}

/**
 * A lock's expiry. One that cannot be read was torn by a crash between its creation and its
 * write (or was not written by this service): it expires `holdMs` after it was made.
 */
async function lockExpiry(path: string, holdMs: number): Promise<number | undefined> {
  try {
    const held = await readJson<LockFile>(path);
    if (held === undefined) return undefined;
    if (typeof held.expiresAt === 'number') return held.expiresAt;
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
  }
  try {
    return (await stat(path)).mtimeMs + holdMs;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
}

export function openKeyStore(options: KeyStoreOptions): KeyStore {
  const { instance, ttlMs, holdMs } = options;
  const now = options.now ?? Date.now;
  const dir = join(options.root, 'keys');
  const scratch = join(options.root, 'tmp');
  const pathsOf = (hash: string) => ({
    lock: join(dir, `${hash}.lock`),
    record: join(dir, `${hash}.json`),
  });

  async function takeLock(lock: string): Promise<boolean> {
    const mine: LockFile = { instance, expiresAt: now() + holdMs };
    try {
      await writeNewFile(lock, JSON.stringify(mine));
      return true;
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
    }
    const expiresAt = await lockExpiry(lock, holdMs);
    if (expiresAt !== undefined && expiresAt > now()) return false;
    // Its holder is gone (no request lives past holdMs): take it over, once.
    await removeFile(lock);
    try {
      await writeNewFile(lock, JSON.stringify(mine));
      return true;
    } catch (error) {
      if (isErrno(error, 'EEXIST')) return false;
      throw error;
    }
  }

  /** The stored answer, if it has not expired; an expired one is removed (under the lock). */
  async function current(record: string): Promise<KeyRecord | undefined> {
    let stored: StoredRecord | undefined;
    try {
      stored = await readJson<StoredRecord>(record);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      // Not an answer this service wrote (they are published whole): none is stored.
      await removeFile(record);
      return undefined;
    }
    if (stored === undefined) return undefined;
    if (stored.expiresAt > now())
      return { fingerprint: stored.fingerprint, response: stored.response };
    await removeFile(record);
    return undefined;
  }

  return {
    async claim(key) {
      const hash = createHash('sha256').update(key).digest('hex');
      const { lock, record } = pathsOf(hash);
      try {
        if (!(await takeLock(lock))) throw new KeyInUse();
      } catch (error) {
        throw storageError(error);
      }
      let released = false;
      const release = async () => {
        if (released) return;
        released = true;
        await removeFile(lock);
      };
      try {
        const stored = await current(record);
        return {
          stored,
          async complete(answer) {
            const kept: StoredRecord = { ...answer, expiresAt: now() + ttlMs };
            try {
              const written = await writeAtomically(record, JSON.stringify(kept), {
                scratch,
                prefix: instance,
                exclusive: true,
              });
              return written ? answer : ((await current(record)) ?? answer);
            } catch (error) {
              throw storageError(error);
            }
          },
          release,
        };
      } catch (error) {
        await release();
        throw storageError(error);
      }
    },

    async sweep({ own }) {
      let removed = 0;
      for (const name of await readdir(dir)) {
        const path = join(dir, name);
        try {
          if (name.endsWith('.lock')) {
            const expiresAt = await lockExpiry(path, holdMs);
            const mine =
              own && (await readJson<LockFile>(path).catch(() => undefined))?.instance === instance;
            if (expiresAt !== undefined && (expiresAt <= now() || mine)) {
              await removeFile(path);
              removed += 1;
            }
          } else if (name.endsWith('.json')) {
            // Under the key's lock, so that no request is completing this key meanwhile.
            const lock = join(dir, `${name.slice(0, -'.json'.length)}.lock`);
            if (!(await takeLock(lock))) continue;
            try {
              const stored = await readJson<StoredRecord>(path).catch(() => undefined);
              if (stored === undefined || stored.expiresAt <= now()) {
                await removeFile(path);
                removed += 1;
              }
            } finally {
              await removeFile(lock);
            }
          }
        } catch {
          // One file that cannot be swept (gone meanwhile, unreadable) does not stop the rest.
        }
      }
      return removed;
    },
  };
}
