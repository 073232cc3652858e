/**
 * How geo's component tests talk to it: one client per running app, every answer read once
 * into its status, content type, text and parsed body, and the checks that every
 * problem+json answer has to pass. Every test file uses this one helper.
 */
import http from 'node:http';
import type { RunningApp } from '@quadrants/service-kit/testing';
import fc from 'fast-check';
import { expect } from 'vitest';
import { anEtagHeader, hostileString } from './arbitraries.ts';

/**
 * A request that has not answered by then counts as a hang. Well inside vitest's testTimeout,
 * so that a hang fails with the request that hung rather than with the whole test's timeout.
 */
const REQUEST_TIMEOUT_MS = 15_000;

export interface Answer {
  status: number;
  headers: Headers;
  /** The Content-Type, or '' when there is none. */
  type: string;
  text: string;
  /** The parsed body when the answer is JSON or problem+json, else undefined. */
  body: unknown;
}

export interface GeoClient {
  get(path: string, headers?: Record<string, string>): Promise<Answer>;
  /** POST `value` as JSON. */
  post(path: string, value: unknown): Promise<Answer>;
  /** POST a body exactly as given, with the Content-Type given. */
  postText(path: string, text: string | Buffer, type: string): Promise<Answer>;
  /** POST a body in pieces, without a Content-Length. */
  postStream(path: string, body: ReadableStream<Uint8Array>, type: string): Promise<Answer>;
  /**
   * The status of a GET with If-None-Match, as a cache revalidating sends it. fetch() would
   * add Cache-Control: no-cache, as a browser does on reload; node:http sends only the header.
   */
  revalidate(path: string, etag: string): Promise<number>;
}

export function client(geo: Pick<RunningApp, 'baseUrl'>): GeoClient {
  async function send(path: string, init: RequestInit): Promise<Answer> {
    const response = await fetch(`${geo.baseUrl}${path}`, {
      ...init,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    const body: unknown = /^application\/(problem\+)?json/.test(type)
      ? JSON.parse(text)
      : undefined;
    return { status: response.status, headers: response.headers, type, text, body };
  }
  const postText = (path: string, text: string | Buffer, type: string) =>
    send(path, { method: 'POST', headers: { 'content-type': type }, body: text });
  return {
    get: (path, headers = {}) => send(path, { headers }),
    post: (path, value) => postText(path, JSON.stringify(value) ?? '', 'application/json'),
    postText,
    postStream: (path, body, type) =>
      send(path, { method: 'POST', headers: { 'content-type': type }, body, duplex: 'half' }),
    revalidate: (path, etag) =>
      new Promise((resolve, reject) => {
        http
          .get(`${geo.baseUrl}${path}`, { headers: { 'if-none-match': etag } }, (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          })
          .on('error', reject);
      }),
  };
}

/** A query string; an array value repeats the parameter, an undefined one leaves it out. */
export function query(params: Record<string, unknown>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) search.append(name, String(one));
  }
  return search.toString();
}

export function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** `bytes` as a body cut at `cuts` (taken modulo its length), for postStream. */
export function inPieces(bytes: Buffer, cuts: readonly number[]): ReadableStream<Uint8Array> {
  const ends = [...new Set(cuts.map((cut) => cut % (bytes.length + 1))), bytes.length].sort(
    (a, b) => a - b,
  );
  const pieces: Buffer[] = [];
  let start = 0;
  for (const end of ends) {
    if (end > start) pieces.push(bytes.subarray(start, end));
    start = Math.max(start, end);
  }
  return new ReadableStream({
    pull(controller) {
      const piece = pieces.shift();
      if (piece === undefined) controller.close();
      else controller.enqueue(piece);
    },
  });
}

export interface FieldProblem {
  field: string;
  detail: string;
}

/** An RFC 9457 problem as geo writes it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors?: FieldProblem[];
  maxPoints?: number;
}

/** What a batch result or a stream line holds in place of a conversion it could not make. */
export interface ItemError {
  error: { status: number; code: string; detail: string; errors: FieldProblem[] };
  /** The line of the body, in a stream's answer. */
  line?: number;
}

/**
 * The answer is problem+json with one of `statuses`, and a 400 or 422 names at least one
 * field. Returns the problem for further checks.
 */
export function expectProblem(answer: Answer, statuses: readonly number[]): Problem {
  expect(statuses, answer.text).toContain(answer.status);
  expect(answer.type).toMatch(/^application\/problem\+json/);
  const problem = answer.body as Problem;
  expect(problem.status).toBe(answer.status);
  expect(problem.code).toEqual(expect.any(String));
  if (answer.status === 400 || answer.status === 422) {
    expect(problem.errors, answer.text).toContainEqual({
      field: expect.any(String),
      detail: expect.any(String),
    });
  }
  return problem;
}

/** An error names the field at `path` or one inside it (`to` covers `to.0`). */
export function expectNamed(errors: readonly FieldProblem[] | undefined, path: string): void {
  const fields = (errors ?? []).map((error) => error.field);
  expect(
    fields.some((field) => field === path || field.startsWith(`${path}.`)),
    `expected an error naming ${path}, got ${JSON.stringify(errors)}`,
  ).toBe(true);
}

/** An error names `name` itself or as the last step of a path (`position.mgrs`). */
export function expectNamedAnywhere(errors: readonly FieldProblem[] | undefined, name: string) {
  const fields = (errors ?? []).map((error) => error.field);
  expect(
    fields.some((field) => field === name || field.endsWith(`.${name}`)),
    `expected an error naming ${name}, got ${JSON.stringify(errors)}`,
  ).toBe(true);
}

/** An unknown key is reported on the object that holds it, with the key in the detail. */
export function expectUnknownKey(problem: Problem, parent: string, key: string): void {
  expect(problem.errors, JSON.stringify(problem)).toContainEqual({
    field: parent,
    detail: expect.stringContaining(key),
  });
}

/** The service still converts a plain point and is healthy: what came before broke nothing. */
export async function expectStillConverting(api: GeoClient): Promise<void> {
  const answer = await api.get('/convert?from=latlon&lat=52.2&lon=21&to=mgrs');
  expect(answer.status, answer.text).toBe(200);
  expect(answer.body).toEqual({ mgrs: '34UEC0000083283' });
  const health = await api.get('/healthz');
  expect(health.status).toBe(200);
  expect(health.body).toEqual({ status: 'ok' });
}

/** Any query string and any If-None-Match on a cacheable GET `path` answer 200 or 304. */
export async function expectAnyQueryAnswers200Or304(api: GeoClient, path: string): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      fc.dictionary(fc.string({ maxLength: 8 }), hostileString, { maxKeys: 4 }),
      fc.option(anEtagHeader, { nil: undefined }),
      async (params, etag) => {
        const answer = await api.get(
          `${path}?${query(params)}`,
          etag === undefined ? {} : { 'if-none-match': etag },
        );
        expect([200, 304], answer.text).toContain(answer.status);
      },
    ),
    { numRuns: 30 },
  );
}
