/**
 * How the component tests run uploads: the real app on a free port over a fresh directory of
 * its own (or one shared with another app: two replicas), hand-built multipart bodies for the
 * hostile cases, and what is on the disk afterwards.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenOnFreePort, type RunningApp, testKit } from '@quadrants/service-kit/testing';
import { createApp } from '../src/app.ts';
import { openKeyStore } from '../src/data/key-store.ts';
import { openObjectStore } from '../src/data/object-store.ts';
import type { Upload } from '../src/domain/uploads.ts';

/** A request that has not answered by then counts as a hang. */
const REQUEST_TIMEOUT_MS = 30_000;

export const ALLOWED = ['image/png', 'image/jpeg', 'application/pdf', 'text/plain'];

export interface AppOptions {
  /** The directory to share with another app; a fresh one (removed on close) by default. */
  dir?: string;
  instance?: string;
  maxFileSize?: number;
  maxFields?: number;
  allowedTypes?: string[];
}

export interface UploadsApp extends RunningApp {
  dir: string;
}

export async function freshDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'uploads-test-'));
}

/** The real app as main.ts builds it, with the volume's readiness check. */
export async function startUploads(options: AppOptions = {}): Promise<UploadsApp> {
  const own = options.dir === undefined;
  const dir = options.dir ?? (await freshDir());
  const instance = options.instance ?? 'test';
  const store = await openObjectStore({ root: dir, instance });
  const keys = openKeyStore({ root: dir, instance, ttlMs: 3_600_000, holdMs: 60_000 });
  const kit = testKit({
    service: 'uploads',
    readinessTimeoutMs: 3_000,
    level: process.env.UPLOADS_TEST_LOG ?? 'silent',
  });
  kit.health.addCheck('volume', () => store.check());
  const running = await listenOnFreePort(
    createApp({
      ...kit,
      store,
      keys,
      allowedTypes: options.allowedTypes ?? ALLOWED,
      maxFileSize: options.maxFileSize ?? 1024 * 1024,
      maxFields: options.maxFields ?? 5,
    }),
  );
  return {
    ...running,
    dir,
    async close() {
      await running.close();
      if (own) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** What POST /uploads and GET /uploads/{id}/meta answer: the domain's Upload, as JSON. */
export type UploadJson = Upload;

export interface ProblemJson {
  type: string;
  status: number;
  title: string;
  detail: string;
  code: string;
  errors?: { field: string; detail: string }[];
}

export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  type: string;
  body: T;
  bytes: Buffer;
}

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Data factory: text bytes unlike any other test's, so each upload is new content. */
export const someText = (size = 1_000) =>
  Buffer.from(
    randomBytes(Math.ceil(size / 2))
      .toString('hex')
      .slice(0, size),
  );

/** The smallest valid PNG: a 1×1 transparent pixel. */
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

export interface Part {
  name: string;
  /** A file part when set (may be ''), a text field otherwise. */
  filename?: string;
  type?: string;
  data: string | Buffer;
  /** The whole Content-Disposition value, written as it is, in place of name and filename. */
  disposition?: string;
  /** Extra part headers, written as they are. */
  headers?: string[];
}

export const BOUNDARY = 'quadrants-test-boundary-7f3a';

/** A multipart/form-data body written byte by byte, for what FormData would not send. */
export function multipart(parts: readonly Part[], boundary = BOUNDARY): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = [`form-data; name="${part.name}"`];
    if (part.filename !== undefined) disposition.push(`filename="${part.filename}"`);
    const head = [
      `--${boundary}`,
      `Content-Disposition: ${part.disposition ?? disposition.join('; ')}`,
      ...(part.type ? [`Content-Type: ${part.type}`] : []),
      ...(part.headers ?? []),
      '',
      '',
    ].join('\r\n');
    chunks.push(Buffer.from(head), Buffer.from(part.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

export interface UploadsClient {
  /** Sends one file (and fields) as the browser would. */
  upload(
    data: Buffer,
    options?: {
      name?: string;
      type?: string;
      fields?: Record<string, string>;
      key?: string;
    },
  ): Promise<Answer<UploadJson & ProblemJson>>;
  /** Sends `body` as it is. */
  raw(
    body: Buffer | string,
    headers?: Record<string, string>,
  ): Promise<Answer<UploadJson & ProblemJson>>;
  get<T = unknown>(
    path: string,
    headers?: Record<string, string>,
    method?: string,
  ): Promise<Answer<T>>;
}

async function answerOf<T>(response: Response): Promise<Answer<T>> {
  const bytes = Buffer.from(await response.arrayBuffer());
  const type = response.headers.get('content-type') ?? '';
  return {
    status: response.status,
    headers: response.headers,
    type,
    bytes,
    body: (/json/.test(type) && bytes.length > 0
      ? JSON.parse(bytes.toString())
      : bytes.toString()) as T,
  };
}

export function uploadsClient(baseUrl: string): UploadsClient {
  return {
    async upload(data, options = {}) {
      const form = new FormData();
      for (const [name, value] of Object.entries(options.fields ?? {})) form.append(name, value);
      form.append(
        'file',
        new Blob([data], { type: options.type ?? 'text/plain' }),
        options.name ?? 'note.txt',
      );
      const response = await fetch(`${baseUrl}/uploads`, {
        method: 'POST',
        body: form,
        headers: options.key === undefined ? {} : { 'idempotency-key': options.key },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      return answerOf(response);
    },
    async raw(body, headers = {}) {
      const response = await fetch(`${baseUrl}/uploads`, {
        method: 'POST',
        body,
        headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, ...headers },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      return answerOf(response);
    },
    async get(path, headers = {}, method = 'GET') {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      return answerOf(response);
    },
  };
}

/** Every file under `dir`, relative, sorted: what a test compares before and after. */
export async function filesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

/** The files in tmp/ (uploads in flight, or leftovers). */
export async function tempFiles(dir: string): Promise<string[]> {
  return (await filesIn(dir)).filter((path) => path.startsWith('tmp/'));
}

/** Polls `check` until it holds; a deadline sized for a busy runner turns a hang into a failure. */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface SlowUpload {
  /** Resolves with the answer once the rest is sent. */
  finish(): Promise<{
    status: number;
    body: string;
    headers: import('node:http').IncomingHttpHeaders;
  }>;
  /** Drops the connection mid-body. */
  abort(): void;
}

/**
 * An upload sent by hand: the head of the body now, the rest on `finish()` (or never, on
 * `abort()`), for tests that need an upload in flight.
 */
export async function slowUpload(
  baseUrl: string,
  data: Buffer,
  options: { headers?: Record<string, string>; sendFirst?: number } = {},
): Promise<SlowUpload> {
  const { request } = await import('node:http');
  const body = multipart([{ name: 'file', filename: 'slow.txt', type: 'text/plain', data }]);
  const first = options.sendFirst ?? Math.floor(body.length / 2);
  const req = request(`${baseUrl}/uploads`, {
    method: 'POST',
    headers: {
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
      'content-length': String(body.length),
      ...options.headers,
    },
  });
  const answered = new Promise<{
    status: number;
    body: string;
    headers: import('node:http').IncomingHttpHeaders;
  }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }),
      );
    });
    req.on('error', reject);
  });
  answered.catch(() => {}); // an aborted upload never answers
  req.write(body.subarray(0, first));
  return {
    finish() {
      req.end(body.subarray(first));
      return answered;
    },
    abort() {
      req.destroy();
    },
  };
}
