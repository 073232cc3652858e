/** W3C traceparent: read on the way in, on every log line of the request, answered, in problems. */
import { request as httpRequest } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NotFound, parseTraceparent } from '../src/index.ts';
import { startKitApp, type TestApp } from './app.ts';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const VALID = `00-${TRACE_ID}-${PARENT_ID}-01`;
const ANSWER = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;

let app: TestApp;
// /hold answers only once `holding` requests have arrived, so those requests are in flight at
// the same time, each in the middle of its handler, with no timer deciding it.
let holding = 0;
let arrived: (() => void)[] = [];

beforeAll(async () => {
  const routes = express.Router();
  routes.get('/logs', (req, res) => {
    req.log.info('inside the handler');
    res.json({ ok: true });
  });
  routes.get('/things/:id', () => {
    throw new NotFound('thing_not_found', 'no such thing');
  });
  routes.get('/bug', () => {
    throw new Error('a bug');
  });
  routes.get('/hold', async (req, res) => {
    const who = String(req.query.who);
    req.log.info({ who }, 'arrived');
    await new Promise<void>((resolve) => {
      arrived.push(resolve);
      if (arrived.length === holding) for (const release of arrived) release();
    });
    req.log.info({ who }, 'leaving');
    res.json({ who });
  });
  app = await startKitApp(routes);
});

afterAll(() => app.close());

/** The answered traceparent's parts; fails when the header is missing or malformed. */
function answered(response: Response) {
  const header = response.headers.get('traceparent') ?? '';
  const parts = ANSWER.exec(header);
  expect(parts, `traceparent answered: ${header}`).not.toBeNull();
  const [, traceId = '', spanId = '', flags = ''] = parts ?? [];
  return { traceId, spanId, flags };
}

/** Every log line of the request with this X-Request-Id, once its request line is written. */
async function linesOf(requestId: string) {
  const lines = () => app.logLines().filter((line) => line.reqId === requestId);
  // The request line is written when the response closes on the server, which may come a
  // moment after the client has read the answer.
  await expect
    .poll(() => lines().some((line) => line.msg === 'request completed'), { timeout: 10_000 })
    .toBe(true);
  return lines();
}

describe('a valid traceparent', () => {
  test('its trace-id is on the request line and on the route’s own req.log line, and is answered', async () => {
    const response = await fetch(`${app.baseUrl}/logs`, {
      headers: { traceparent: VALID, 'x-request-id': 'trace-valid-1' },
    });
    expect(response.status).toBe(200);
    // the request-id behaviour is unchanged beside it
    expect(response.headers.get('x-request-id')).toBe('trace-valid-1');
    const { traceId, spanId, flags } = answered(response);
    expect(traceId).toBe(TRACE_ID);
    expect(spanId).not.toBe(PARENT_ID);
    expect(flags).toBe('01');

    const lines = await linesOf('trace-valid-1');
    expect(lines.map((line) => line.msg)).toEqual(['inside the handler', 'request completed']);
    for (const line of lines) {
      expect(line).toMatchObject({ traceId: TRACE_ID, spanId, parentId: PARENT_ID });
    }
  });

  test('each request gets a span of its own within the same trace', async () => {
    const first = answered(await fetch(`${app.baseUrl}/logs`, { headers: { traceparent: VALID } }));
    const second = answered(
      await fetch(`${app.baseUrl}/logs`, { headers: { traceparent: VALID } }),
    );
    expect([first.traceId, second.traceId]).toEqual([TRACE_ID, TRACE_ID]);
    expect(first.spanId).not.toBe(second.spanId);
  });

  test('a not-sampled caller is answered not sampled, and reserved flag bits are sent as zero', async () => {
    const unsampled = `00-${TRACE_ID}-${PARENT_ID}-00`;
    expect(
      answered(await fetch(`${app.baseUrl}/logs`, { headers: { traceparent: unsampled } })).flags,
    ).toBe('00');
    const extraBits = `00-${TRACE_ID}-${PARENT_ID}-09`;
    expect(
      answered(await fetch(`${app.baseUrl}/logs`, { headers: { traceparent: extraBits } })).flags,
    ).toBe('01');
  });

  test('a problem body carries the trace-id, beside its code', async () => {
    const response = await fetch(`${app.baseUrl}/things/7`, {
      headers: { traceparent: VALID, 'x-request-id': 'trace-problem-1' },
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ code: 'thing_not_found', traceId: TRACE_ID });
    expect(answered(response).traceId).toBe(TRACE_ID);
    const lines = await linesOf('trace-problem-1');
    expect(lines.map((line) => [line.msg, line.traceId])).toEqual([
      ['request completed', TRACE_ID],
    ]);
  });

  test('so does the opaque 500, and its error line in the log', async () => {
    const response = await fetch(`${app.baseUrl}/bug`, {
      headers: { traceparent: VALID, 'x-request-id': 'trace-bug-1' },
    });
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ status: 500, traceId: TRACE_ID });
    const lines = await linesOf('trace-bug-1');
    expect(lines.map((line) => [line.msg, line.traceId])).toEqual([
      ['unhandled error', TRACE_ID],
      ['request completed', TRACE_ID],
    ]);
  });

  test('a 404 for no route and a 405 carry it too', async () => {
    const nowhere = await fetch(`${app.baseUrl}/nowhere`, { headers: { traceparent: VALID } });
    expect(nowhere.status).toBe(404);
    expect(await nowhere.json()).toMatchObject({ code: 'route_not_found', traceId: TRACE_ID });
    const wrongMethod = await fetch(`${app.baseUrl}/logs`, {
      method: 'DELETE',
      headers: { traceparent: VALID },
    });
    expect(wrongMethod.status).toBe(405);
    expect(await wrongMethod.json()).toMatchObject({
      code: 'method_not_allowed',
      traceId: TRACE_ID,
    });
  });

  test('a later version is read by its first four fields, as the specification asks', async () => {
    for (const value of [
      `cc-${TRACE_ID}-${PARENT_ID}-01`,
      `cc-${TRACE_ID}-${PARENT_ID}-01-what-comes-next`,
    ]) {
      const response = await fetch(`${app.baseUrl}/logs`, { headers: { traceparent: value } });
      expect(answered(response), value).toMatchObject({ traceId: TRACE_ID, flags: '01' });
    }
  });
});

describe('an invalid or absent traceparent', () => {
  test.each([
    ['a trace-id one digit short', `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`],
    ['a trace-id one digit long', `00-${TRACE_ID}0-${PARENT_ID}-01`],
    ['a parent-id one digit short', `00-${TRACE_ID}-${PARENT_ID.slice(1)}-01`],
    ['a flags field of one digit', `00-${TRACE_ID}-${PARENT_ID}-1`],
    ['uppercase hex', `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`],
    ['uppercase flags', `00-${TRACE_ID}-${PARENT_ID}-0A`],
    ['an all-zero trace-id', `00-${'0'.repeat(32)}-${PARENT_ID}-01`],
    ['an all-zero parent-id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE_ID}-${PARENT_ID}-01`],
    ['version 00 with a field after the flags', `00-${TRACE_ID}-${PARENT_ID}-01-00`],
    ['a later version whose flags run on without a dash', `cc-${TRACE_ID}-${PARENT_ID}-01x`],
    ['a non-hex digit', `00-${TRACE_ID.slice(0, 31)}g-${PARENT_ID}-01`],
    ['underscores for dashes', `00_${TRACE_ID}_${PARENT_ID}_01`],
    ['garbage', 'not a traceparent at all, just some words of the right size or so'],
    ['an empty value', ''],
  ])('%s starts a new trace: no 400, no crash', async (_what, value) => {
    const requestId = `trace-invalid-${Math.random().toString(36).slice(2)}`;
    const response = await fetch(`${app.baseUrl}/logs`, {
      headers: { traceparent: value, 'x-request-id': requestId },
    });
    expect(response.status).toBe(200);
    const { traceId, spanId, flags } = answered(response);
    expect(traceId).not.toBe(TRACE_ID);
    expect(flags).toBe('00');
    const lines = await linesOf(requestId);
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatchObject({ traceId, spanId });
      expect(line).not.toHaveProperty('parentId');
    }
  });

  test('two traceparent headers are refused together (Node joins them), and a new trace starts', async () => {
    const other = `00-${'a'.repeat(32)}-${PARENT_ID}-01`;
    const header = await new Promise<string | undefined>((resolve, reject) => {
      const req = httpRequest(`${app.baseUrl}/logs`, { headers: { traceparent: [VALID, other] } });
      req.on('response', (res) => {
        res.resume();
        resolve(res.headers.traceparent as string | undefined);
      });
      req.on('error', reject);
      req.end();
    });
    const [, traceId] = ANSWER.exec(header ?? '') ?? [];
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect([TRACE_ID, 'a'.repeat(32)]).not.toContain(traceId);
  });

  test('absent, a new trace starts, with a new id for every request', async () => {
    const first = await fetch(`${app.baseUrl}/logs`, {
      headers: { 'x-request-id': 'trace-absent-1' },
    });
    const second = await fetch(`${app.baseUrl}/logs`);
    const one = answered(first);
    const two = answered(second);
    expect(one.flags).toBe('00');
    expect(one.traceId).not.toBe(two.traceId);
    expect(one.spanId).not.toBe(two.spanId);
    const lines = await linesOf('trace-absent-1');
    expect(lines.map((line) => [line.msg, line.traceId, line.spanId])).toEqual([
      ['inside the handler', one.traceId, one.spanId],
      ['request completed', one.traceId, one.spanId],
    ]);
  });

  test('absent on a problem, the body carries the new trace-id the header answers', async () => {
    const response = await fetch(`${app.baseUrl}/things/7`);
    const { traceId } = answered(response);
    expect(await response.json()).toMatchObject({ traceId });
  });

  test('the probes answer a traceparent too', async () => {
    const response = await fetch(`${app.baseUrl}/healthz`, { headers: { traceparent: VALID } });
    expect(answered(response).traceId).toBe(TRACE_ID);
  });
});

describe('concurrent requests', () => {
  test('never mix their ids: each line carries its own request’s trace', async () => {
    const count = 12;
    holding = count;
    arrived = [];
    const traceIds = Array.from({ length: count }, (_, i) =>
      (i + 1).toString(16).padStart(32, '0'),
    );
    const responses = await Promise.all(
      traceIds.map((traceId, i) =>
        fetch(`${app.baseUrl}/hold?who=${i}`, {
          // every other one without a traceparent: a new trace made while the others are in flight
          headers: {
            'x-request-id': `trace-concurrent-${i}`,
            ...(i % 2 === 0 ? { traceparent: `00-${traceId}-${PARENT_ID}-01` } : {}),
          },
        }),
      ),
    );
    const seen = new Set<string>();
    for (const [i, response] of responses.entries()) {
      expect(await response.json()).toEqual({ who: String(i) });
      const { traceId, spanId } = answered(response);
      if (i % 2 === 0) expect(traceId).toBe(traceIds[i]);
      seen.add(traceId);
      const lines = await linesOf(`trace-concurrent-${i}`);
      expect(lines.map((line) => line.msg)).toEqual(['arrived', 'leaving', 'request completed']);
      for (const line of lines) {
        expect(line).toMatchObject({ traceId, spanId });
        if (line.who !== undefined) expect(line.who).toBe(String(i));
      }
    }
    expect(seen.size).toBe(count);
  });
});

describe('parseTraceparent', () => {
  test('gives the fields of a valid value, and nothing for one that is not', () => {
    expect(parseTraceparent(VALID)).toEqual({
      traceId: TRACE_ID,
      parentId: PARENT_ID,
      flags: '01',
    });
    expect(parseTraceparent(undefined)).toBeUndefined();
    expect(parseTraceparent(` ${VALID}`)).toBeUndefined();
    expect(parseTraceparent(`ff-${TRACE_ID}-${PARENT_ID}-01`)).toBeUndefined();
  });
});
