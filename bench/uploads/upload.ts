// One POST /uploads through node:http: a hand-written multipart/form-data envelope around the
// file's bytes, streamed as the socket takes them (Content-Length known up front, as a browser
// sends it), and the service's JSON answer read back.
import { randomBytes } from 'node:crypto';
import { type Agent, request } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileBytes } from './bytes.ts';

/** What POST /uploads answered: its status, its JSON body, and how long the whole took. */
export interface UploadAnswer {
  status: number;
  body: Record<string, unknown>;
  /** The request body's bytes: the file and its multipart envelope. */
  sentBytes: number;
  seconds: number;
}

/** A multipart body with one part, `file`, and nothing else. */
function* multipart(file: FileBytes, boundary: string, name: string): Generator<Buffer> {
  yield Buffer.from(
    `--${boundary}\r\n` +
      `Content-Disposition: form-data; name="file"; filename="${name}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
    'latin1',
  );
  yield* file.chunks();
  yield Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
}

function envelopeBytes(boundary: string, name: string): number {
  let bytes = 0;
  for (const part of multipart({ size: 0, chunks: function* () {} }, boundary, name)) {
    bytes += part.length;
  }
  return bytes;
}

/**
 * Uploads `file` to `baseUrl` (the service, or the bare baseline) and resolves with the answer
 * once its body has arrived: the seconds are from
 * the first byte sent to the last byte of the answer, so they include the service's fsync and
 * commit. Anything but 201 or 200 rejects, with the problem the service sent.
 */
export async function upload(
  baseUrl: string,
  file: FileBytes,
  name: string,
  agent: Agent,
  signal: AbortSignal,
): Promise<UploadAnswer> {
  // Random, so it appears nowhere in the random bytes it frames (odds of 2^-192 per position).
  const boundary = `bench-${randomBytes(24).toString('hex')}`;
  const sentBytes = envelopeBytes(boundary, name) + file.size;
  const start = performance.now();
  const req = request(`${baseUrl}/uploads`, {
    method: 'POST',
    agent,
    signal,
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(sentBytes),
    },
  });
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.once('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => parts.push(chunk));
      res.once('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }),
      );
      res.once('error', reject);
    });
    req.once('error', reject);
  });
  // A service that refuses early (413, 415) answers before the body is sent and may close the
  // connection: its answer, not the broken pipe, is what to report.
  const sent = pipeline(Readable.from(multipart(file, boundary, name)), req).catch(
    (error: unknown) => error,
  );
  const { status, body } = await answered.catch((error: unknown) => {
    throw new Error(`POST ${baseUrl}/uploads (${name}): ${(error as Error).message}`, {
      cause: error,
    });
  });
  const sendError = await sent;
  const seconds = (performance.now() - start) / 1000;
  if (status !== 201 && status !== 200) {
    throw new Error(`POST ${baseUrl}/uploads (${name}): answered ${status}: ${body.slice(0, 500)}`);
  }
  if (sendError) throw sendError;
  return { status, body: JSON.parse(body) as Record<string, unknown>, sentBytes, seconds };
}
