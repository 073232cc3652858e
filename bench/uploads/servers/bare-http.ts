// Baseline: node:http alone, writing each POST /uploads body as it arrives to a new file with
// fs.createWriteStream, fsynced before close, as the service does with its file part. No express,
// no kit, no multipart parsing, no hashing, no sniffing, no commit: the multipart envelope is
// written with the bytes. It answers the bytes it wrote, then removes the file. What the service
// does on top of this is what HTTP alone does not explain.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { announce } from '../../lib/announce.ts';

const dir = process.env.BENCH_BARE_DIR;
if (!dir) throw new Error('BENCH_BARE_DIR is required (the bench sets it)');
let files = 0;

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/uploads') {
    res.writeHead(404).end();
    return;
  }
  const path = join(dir, `bare-${process.pid}-${files++}.bin`);
  const out = createWriteStream(path, { flags: 'wx', flush: true });
  pipeline(req, out)
    .then(async () => {
      if (!out.closed) await once(out, 'close');
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ size: out.bytesWritten }));
    })
    .catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    })
    .finally(() => unlink(path).catch(() => {}));
});
server.listen(0, '127.0.0.1');
await announce(server);
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
