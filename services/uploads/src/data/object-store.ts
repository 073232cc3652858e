// The only place that keeps uploads: content-addressed files on the shared volume.
//
//   objects/ab/<id>        the bytes, under their SHA-256
//   objects/ab/<id>.json   the metadata, written after the bytes: the commit point. An object
//                          exists for the API only once this file does.
//   tmp/<instance>.<uuid>.part   uploads in flight; never visible through the API
//
// Every name is published with link(), which refuses a name that exists, so two replicas
// storing the same bytes at the same moment both succeed, and exactly one of them created it.
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StorageUnavailable, UPLOAD_ID, type Upload, UploadNotFound } from '../domain/uploads.ts';
import {
  isErrno,
  publish,
  removeFile,
  storageError,
  syncDirectory,
  writeAtomically,
  writeNewFile,
} from './files.ts';

/** An upload's bytes, written whole and fsynced in tmp/, not yet under its id. */
export interface StagedFile {
  path: string;
  /** SHA-256 of the bytes, hex. */
  id: string;
  size: number;
}

/** The metadata an upload brings; the store adds its id, size and creation time. */
export type UploadDetails = Pick<Upload, 'name' | 'type' | 'fields'>;

export interface StoredObject {
  upload: Upload;
  /** The bytes, for streaming. */
  path: string;
}

export interface ObjectStore {
  /** Where an upload in flight writes its bytes: a new name in tmp/ carrying this instance. */
  stagingPath(): string;
  /** Publishes staged bytes under their id; `created` is false when the bytes were there. */
  commit(staged: StagedFile, details: UploadDetails): Promise<{ created: boolean; upload: Upload }>;
  /** The stored upload, or UploadNotFound. */
  find(id: string): Promise<StoredObject>;
  /** Removes a staged file that will not be committed (or has been: it has another name). */
  discard(path: string): Promise<void>;
  /**
   * Removes temporary files in tmp/: this instance's all (`own`: at start-up, when none of
   * them can be in use), and any instance's older than `staleMs`. Returns how many.
   */
  sweep(options: { own: boolean; staleMs: number }): Promise<number>;
  /** Resolves while the volume can be written. */
  check(): Promise<void>;
}

export interface ObjectStoreOptions {
  root: string;
  instance: string;
}

const TEMP_SUFFIXES = ['.part', '.tmp'];

function parseUpload(text: string, id: string): Upload {
  const value = JSON.parse(text) as Partial<Upload>;
  if (value.id !== id || typeof value.size !== 'number' || typeof value.type !== 'string') {
    throw new Error(`objects/${id.slice(0, 2)}/${id}.json is not an upload's metadata`);
  }
  return value as Upload;
}

/** Creates objects/, keys/ and tmp/ under `root` (the volume), and the store on them. */
export async function openObjectStore(options: ObjectStoreOptions): Promise<ObjectStore> {
  const { root, instance } = options;
  const objects = join(root, 'objects');
  const tmp = join(root, 'tmp');
  await mkdir(root, { recursive: true });
  // One level at a time: a recursive mkdir reports a read-only volume as ENOENT.
  for (const dir of [objects, tmp, join(root, 'keys')]) {
    try {
      await mkdir(dir);
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
    }
  }

  const paths = (id: string) => {
    const dir = join(objects, id.slice(0, 2));
    return { dir, data: join(dir, id), meta: join(dir, `${id}.json`) };
  };

  return {
    stagingPath: () => join(tmp, `${instance}.${randomUUID()}.part`),

    async commit(staged, details) {
      const { dir, data, meta } = paths(staged.id);
      const upload: Upload = {
        id: staged.id,
        name: details.name,
        size: staged.size,
        type: details.type,
        createdAt: new Date().toISOString(),
        fields: details.fields,
      };
      // Everything that takes space is written before anything is published: on a full volume
      // the upload fails with nothing under objects/.
      const metaTemp = join(tmp, `${instance}.${randomUUID()}.tmp`);
      try {
        await writeNewFile(metaTemp, JSON.stringify(upload));
        await mkdir(dir, { recursive: true });
        // Bytes first. If they are there already, another upload of the same content put them
        // there, fsynced, under the same hash: they are these bytes.
        await publish(staged.path, data);
        // Then the metadata, exclusively: whoever publishes it created the upload.
        const created = await publish(metaTemp, meta);
        await syncDirectory(dir);
        if (created) return { created, upload };
        return { created, upload: parseUpload(await readFile(meta, 'utf8'), staged.id) };
      } catch (error) {
        throw storageError(error);
      } finally {
        await removeFile(metaTemp);
      }
    },

    async find(id) {
      if (!UPLOAD_ID.test(id)) throw new UploadNotFound(id);
      const { data, meta } = paths(id);
      try {
        return { upload: parseUpload(await readFile(meta, 'utf8'), id), path: data };
      } catch (error) {
        if (isErrno(error, 'ENOENT')) throw new UploadNotFound(id);
        throw storageError(error);
      }
    },

    discard: removeFile,

    async sweep({ own, staleMs }) {
      let removed = 0;
      const before = Date.now() - staleMs;
      for (const name of await readdir(tmp)) {
        if (!TEMP_SUFFIXES.some((suffix) => name.endsWith(suffix))) continue;
        const path = join(tmp, name);
        try {
          const mine = own && name.startsWith(`${instance}.`);
          if (mine || (await stat(path)).mtimeMs < before) {
            await removeFile(path);
            removed += 1;
          }
        } catch (error) {
          // Gone between readdir and stat: its upload finished or another replica swept it.
          if (!isErrno(error, 'ENOENT')) throw error;
        }
      }
      return removed;
    },

    async check() {
      try {
        const probe = join(tmp, `${instance}.ready.tmp`);
        await writeAtomically(probe, '', { scratch: tmp, prefix: instance, exclusive: false });
        await removeFile(probe);
      } catch (error) {
        throw new StorageUnavailable(error);
      }
    },
  };
}
