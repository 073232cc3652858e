import express from 'express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { Conflict, NotFound, parseOrThrow, Unavailable } from '../src/index.ts';
import { startKitApp, type TestApp } from './app.ts';

let app: TestApp;

beforeAll(async () => {
  const routes = express.Router();
  routes.get('/things/:id', () => {
    throw new NotFound('thing_not_found', 'no such thing');
  });
  routes.post('/things', (req, res) => {
    const thing = parseOrThrow(z.object({ name: z.string().min(1) }), req.body);
    res.status(201).json(thing);
  });
  routes.put('/things/1', () => {
    throw new Conflict('thing_exists', 'thing 1 is already there');
  });
  routes.get('/store', () => {
    throw new Unavailable('store_down', 'the store does not answer');
  });
  routes.get('/bug', () => {
    throw new Error('secret connection string postgres://user:pw@db');
  });
  routes.get('/logs', (req, res) => {
    req.log.info('inside the handler');
    res.json({ ok: true });
  });
  app = await startKitApp(routes);
});

afterAll(() => app.close());

async function problem(response: Response) {
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return (await response.json()) as Record<string, unknown>;
}

describe('errors as RFC 9457 problem+json', () => {
  test.each([
    ['GET', '/things/7', 404, 'thing_not_found'],
    ['PUT', '/things/1', 409, 'thing_exists'],
    ['GET', '/store', 503, 'store_down'],
    ['GET', '/nowhere', 404, 'route_not_found'],
  ])('%s %s answers %i with code %s', async (method, path, status, code) => {
    const response = await fetch(`${app.baseUrl}${path}`, { method });
    expect(response.status).toBe(status);
    expect(await problem(response)).toMatchObject({ status, code, instance: path });
  });

  test('when a field is invalid, answers 400 naming the field', async () => {
    const response = await fetch(`${app.baseUrl}/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 42 }),
    });
    expect(response.status).toBe(400);
    const body = await problem(response);
    expect(body.errors).toEqual([{ field: 'name', detail: expect.any(String) }]);
  });

  test('when the body is not JSON, answers 400', async () => {
    const response = await fetch(`${app.baseUrl}/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":',
    });
    expect(response.status).toBe(400);
    expect((await problem(response)).detail).toMatch(/not valid JSON/);
  });

  test('when the body is larger than the limit, answers 413', async () => {
    const response = await fetch(`${app.baseUrl}/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(2_000) }),
    });
    expect(response.status).toBe(413);
    expect((await problem(response)).code).toBe('body_too_large');
  });

  test('when the body is not JSON at all, answers 415', async () => {
    const response = await fetch(`${app.baseUrl}/things`, { method: 'POST', body: 'name=x' });
    expect(response.status).toBe(415);
  });

  test('an unexpected error answers an opaque 500 and logs the message', async () => {
    const response = await fetch(`${app.baseUrl}/bug`);
    expect(response.status).toBe(500);
    const body = await problem(response);
    expect(JSON.stringify(body)).not.toContain('postgres://');
    const requestId = response.headers.get('x-request-id');
    const logged = app.logLines().find((line) => line.reqId === requestId && line.err);
    expect(JSON.stringify(logged)).toContain('secret connection string');
  });
});

describe('request ids and logs', () => {
  test('every line logged for a request carries its id, and the response echoes it', async () => {
    const response = await fetch(`${app.baseUrl}/logs`, {
      headers: { 'x-request-id': 'trace-abc.123' },
    });
    expect(response.headers.get('x-request-id')).toBe('trace-abc.123');
    const lines = app.logLines().filter((line) => line.reqId === 'trace-abc.123');
    expect(lines.map((line) => line.msg)).toEqual(['inside the handler', 'request completed']);
  });

  test('at level info, successes are not logged but failures are', async () => {
    const quiet = await startKitApp(express.Router(), 'info');
    try {
      await fetch(`${quiet.baseUrl}/healthz`);
      const ok = await fetch(`${quiet.baseUrl}/nowhere`, { headers: { 'x-request-id': 'lost-1' } });
      expect(ok.status).toBe(404);
      expect(quiet.logLines().map((line) => [line.reqId, line.msg, line.level])).toEqual([
        ['lost-1', 'request completed', 40],
      ]);
    } finally {
      await quiet.close();
    }
  });

  test('an id that does not look like one is replaced', async () => {
    const response = await fetch(`${app.baseUrl}/logs`, {
      headers: { 'x-request-id': 'bad id with spaces' },
    });
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('security headers', () => {
  test('answers carry helmet headers and no x-powered-by', async () => {
    const response = await fetch(`${app.baseUrl}/healthz`);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('x-powered-by')).toBeNull();
  });
});

describe('GET /metrics', () => {
  test('counts requests by route and status and times them', async () => {
    await fetch(`${app.baseUrl}/things/9`);
    const text = await (await fetch(`${app.baseUrl}/metrics`)).text();
    expect(text).toMatch(
      /http_requests_total\{method="GET",route="\/things\/:id",status="404",service="test"\} [1-9]/,
    );
    expect(text).toMatch(
      /http_request_duration_seconds_bucket\{le="0.005",service="test",method="GET"/,
    );
    expect(text).toContain('process_cpu_seconds_total');
  });
});
