// multipart/form-data through multer, with a storage engine of this service's own: the file
// part streams into a new file in tmp/ while its SHA-256 is computed and its first bytes are
// sniffed, and is fsynced when it ends. Nothing is ever held whole in memory, and a part whose
// bytes contradict its type is not written past its first 4 kB.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { Request, Response } from 'express';
import { fileTypeFromBuffer, supportedMimeTypes } from 'file-type';
import multer, { type StorageEngine } from 'multer';
import { storageError } from '../data/files.ts';
import type { ObjectStore, StagedFile } from '../data/object-store.ts';
import { decideType } from '../domain/uploads.ts';

/** What file-type needs to see to recognise any format it knows. */
const SAMPLE_BYTES = 4_100;

/** A file part as the route receives it: multer's description plus the staged bytes. */
export interface ReceivedFile extends Express.Multer.File, StagedFile {
  /** The type it is kept as (decideType): declared and seen agree, and it is allowed. */
  type: string;
}

export interface MultipartOptions {
  store: ObjectStore;
  allowedTypes: readonly string[];
  maxFileSize: number;
  maxFields: number;
}

/** The longest field name and value a metadata field may have. */
export const FIELD_NAME_BYTES = 64;
export const FIELD_VALUE_BYTES = 1_024;

/**
 * Bytes are written in batches of about this much: one writev() where the stream delivers
 * ~30 kB chunks (bench/uploads counted 8,860 write() calls for 256 MiB without it).
 */
const WRITE_BATCH_BYTES = 1024 * 1024;

/**
 * Writes `stream` into a new file at `path` and fsyncs it, calling `onChunk` on each chunk
 * before it is written (a rejection stops the upload there) and `onEnd` after the last.
 */
async function stage(
  stream: AsyncIterable<Buffer>,
  path: string,
  hooks: { onChunk(chunk: Buffer): Promise<void> | undefined; onEnd(): Promise<void> | undefined },
): Promise<void> {
  const handle = await open(path, 'wx', 0o640);
  try {
    let batch: Buffer[] = [];
    let batched = 0;
    const flush = async () => {
      let { bytesWritten } = await handle.writev(batch);
      // writev may write less than asked; the rest goes out one buffer at a time.
      for (const buffer of batch) {
        if (bytesWritten >= buffer.length) {
          bytesWritten -= buffer.length;
          continue;
        }
        let offset = bytesWritten;
        bytesWritten = 0;
        while (offset < buffer.length) offset += (await handle.write(buffer, offset)).bytesWritten;
      }
      batch = [];
      batched = 0;
    };
    // After a refusal or a failed write the rest of the part is read and dropped, not written:
    // leaving the loop would destroy the part's stream, and multer would report that instead.
    let failed: { error: unknown } | undefined;
    for await (const chunk of stream) {
      if (failed) continue;
      try {
        await hooks.onChunk(chunk);
        batch.push(chunk);
        batched += chunk.length;
        if (batched >= WRITE_BATCH_BYTES) await flush();
      } catch (error) {
        failed = { error };
        batch = [];
      }
    }
    if (failed) throw failed.error;
    await hooks.onEnd();
    if (batched > 0) await flush();
    // On the disk before the file is linked into objects/.
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Each request's file parts still being written or removed, so the route can wait for them. */
type Pending = WeakMap<Request, Promise<unknown>[]>;

function stagingEngine({ store, allowedTypes }: MultipartOptions, pending: Pending): StorageEngine {
  return {
    _handleFile(req, file, done) {
      const path = store.stagingPath();
      const hash = createHash('sha256');
      let size = 0;
      let sample: Buffer[] | undefined = [];
      let sampled = 0;
      let type: string | undefined;

      const judge = async () => {
        const head = Buffer.concat(sample ?? []);
        sample = undefined;
        const sniffed = (await fileTypeFromBuffer(head))?.mime;
        type = decideType({
          declared: file.mimetype,
          sniffed,
          recognisable: supportedMimeTypes,
          allowed: allowedTypes,
        });
      };

      const written = stage(file.stream, path, {
        onChunk(chunk) {
          hash.update(chunk);
          size += chunk.length;
          if (sample === undefined) return undefined;
          sample.push(chunk);
          sampled += chunk.length;
          return sampled < SAMPLE_BYTES ? undefined : judge();
        },
        onEnd: () => (sample === undefined ? undefined : judge()),
      }).then(
        () => {
          const staged: Partial<ReceivedFile> = {
            path,
            id: hash.digest('hex'),
            size,
            type: type ?? 'application/octet-stream',
          };
          done(null, staged);
        },
        async (error: unknown) => {
          // multer removes only files it was told about; this one it never was.
          await store.discard(path).catch(() => {});
          done(storageError(error) as Error);
        },
      );
      pending.set(req, [...(pending.get(req) ?? []), written]);
    },
    _removeFile(_req, file, done) {
      store.discard(file.path).then(() => done(null), done);
    },
  };
}

export interface UploadReader {
  /**
   * Reads one upload: exactly one file part named `file`, at most `maxFields` text parts,
   * within the size limits. Its errors are multer's (MulterError), the domain's (TypeRefused)
   * or the volume's.
   */
  read(req: Request, res: Response): Promise<void>;
  /**
   * Resolves once every file part of `req` is written or removed. multer may answer an error
   * before a failed part's temporary file is gone; the route waits for this, so that an
   * answer means the disk is as it will stay.
   */
  settled(req: Request): Promise<void>;
}

export function uploadReader(options: MultipartOptions): UploadReader {
  const pending: Pending = new WeakMap();
  const middleware = multer({
    storage: stagingEngine(options, pending),
    limits: {
      fileSize: options.maxFileSize,
      files: 1,
      fields: options.maxFields,
      parts: options.maxFields + 1,
      fieldNameSize: FIELD_NAME_BYTES,
      fieldSize: FIELD_VALUE_BYTES,
      headerPairs: 20,
      fieldNestingDepth: 0,
    },
    // Names arrive as the browser sends them; only the last segment is ever kept anyway.
    preservePath: false,
    defParamCharset: 'utf8',
  }).single('file');
  return {
    read: (req, res) =>
      new Promise((resolve, reject) => {
        middleware(req, res, (error?: unknown) => (error ? reject(error) : resolve()));
      }),
    async settled(req) {
      await Promise.allSettled(pending.get(req) ?? []);
    },
  };
}

/** The file part of a request readUpload has read, if there was one. */
export function receivedFile(req: Request): ReceivedFile | undefined {
  return req.file as ReceivedFile | undefined;
}
