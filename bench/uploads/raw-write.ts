// The baseline: the same kind of bytes written straight to a file on the same filesystem with
// fs.createWriteStream, in this process, and fsynced before the file is closed (`flush`), since
// the service fsyncs every upload before it answers. What is left over, service / raw, is what
// HTTP, multipart parsing, hashing and the service's own commit cost.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileBytes } from './bytes.ts';

/** Writes `file` to a new file in `dir`, fsyncs and closes it, removes it; returns seconds taken. */
export async function rawWrite(file: FileBytes, dir: string, signal: AbortSignal): Promise<number> {
  const path = join(dir, `raw-${process.pid}-${Date.now()}.bin`);
  const start = performance.now();
  try {
    const out = createWriteStream(path, { flush: true });
    await pipeline(Readable.from(file.chunks()), out, { signal });
    // pipeline resolves on 'finish'; the fsync (flush) and close come after it.
    if (!out.closed) await once(out, 'close');
    return (performance.now() - start) / 1000;
  } finally {
    await unlink(path).catch(() => {});
  }
}
