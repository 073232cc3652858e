// The bytes every upload and every raw write carries: a short header that makes each file's
// bytes its own (the service is content-addressed, so the same bytes twice would answer 200
// without writing anything), then slices of one pseudo-random pool, handed out as they are
// asked for. Nothing here ever holds a whole file: a 1 GiB file is 4,096 slices of the pool.
import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** Made once per run; random, so that neither a filesystem nor a sniffer finds anything in it. */
const POOL_BYTES = 16 * 2 ** 20;
const pool = randomBytes(POOL_BYTES);

export interface FileBytes {
  size: number;
  /** The bytes, a chunk at a time; each call starts again from the first byte. */
  chunks(): Generator<Buffer>;
}

/**
 * `size` bytes no other file of this run has, in chunks of `chunkBytes` at most: the header
 * names a fresh UUID. It is plain ASCII, so that the service's content sniffing sees no known
 * file type in the first bytes and keeps the declared application/octet-stream.
 */
export function fileBytes(size: number, chunkBytes: number): FileBytes {
  const header = Buffer.from(`quadrants uploads bench ${randomUUID()} ${size}\n`, 'latin1');
  const head = header.subarray(0, Math.min(header.length, size));
  return {
    size,
    *chunks() {
      yield head;
      let sent = head.length;
      let at = 0;
      while (sent < size) {
        const length = Math.min(chunkBytes, size - sent, POOL_BYTES - at);
        yield pool.subarray(at, at + length);
        sent += length;
        at = (at + length) % POOL_BYTES;
      }
    },
  };
}

/** The SHA-256 of the file's bytes in lower-case hex: what the service must answer as its id. */
export function sha256(file: FileBytes): string {
  const hash = createHash('sha256');
  for (const chunk of file.chunks()) hash.update(chunk);
  return hash.digest('hex');
}
