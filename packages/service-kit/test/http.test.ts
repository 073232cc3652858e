import { connect } from 'node:net';
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

  test('when a body without Content-Length grows past the limit, answers 413', async () => {
    const chunk = new TextEncoder().encode(`{"name":"${'x'.repeat(600)}`);
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(chunk);
        controller.enqueue(new TextEncoder().encode(`${'x'.repeat(600)}"}`));
        controller.close();
      },
    });
    const response = await fetch(`${app.baseUrl}/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
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

  test('labels a request no route matched (404, 405) as (unmatched), never by its path', async () => {
    await fetch(`${app.baseUrl}/nowhere-a1`);
    await fetch(`${app.baseUrl}/things/1`, { method: 'DELETE' });
    const text = await (await fetch(`${app.baseUrl}/metrics`)).text();
    expect(text).toMatch(/http_requests_total\{method="DELETE",route="\(unmatched\)",status="405"/);
    expect(text).not.toContain('nowhere-a1');
  });
});

describe('messages for people', () => {
  async function invalid(body: unknown) {
    const schema = z.object({
      name: z.string(),
      size: z.enum(['small', 'large']),
      count: z.number(),
    });
    const routes = express.Router();
    routes.post('/check', (req, res) => {
      res.json(parseOrThrow(schema.strict(), req.body));
    });
    const checked = await startKitApp(routes, 'silent');
    try {
      const response = await fetch(`${checked.baseUrl}/check`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(400);
      return ((await problem(response)).errors ?? []) as { field: string; detail: string }[];
    } finally {
      await checked.close();
    }
  }

  test('a missing field is required, a wrong type names the type, an unknown value lists the accepted ones', async () => {
    expect(await invalid({ size: 'medium', count: 'three', colour: 'red' })).toEqual([
      { field: 'name', detail: 'is required' },
      { field: 'size', detail: 'must be one of: small, large' },
      { field: 'count', detail: 'must be a number' },
      { field: '(root)', detail: 'unknown field: colour' },
    ]);
  });

  test('a discriminator that is missing or unknown lists the accepted values', async () => {
    const schema = z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('circle'), r: z.number() }),
      z.object({ kind: z.literal('square'), side: z.number() }),
    ]);
    const detail = (value: unknown) => {
      try {
        parseOrThrow(schema, value);
      } catch (error) {
        return (error as { errors: { detail: string }[] }).errors[0]?.detail;
      }
      return undefined;
    };
    expect(detail({})).toBe('is required: one of circle, square');
    expect(detail({ kind: 'triangle' })).toBe('must be one of: circle, square');
  });
});

describe('methods, body types and malformed requests', () => {
  let kit: TestApp;

  beforeAll(async () => {
    const routes = express.Router();
    routes.get('/items', (_req, res) => {
      res.json([]);
    });
    routes.post('/items', (req, res) => {
      res.json({ got: req.body });
    });
    routes.post('/items/stream', async (req, res) => {
      let bytes = 0;
      for await (const chunk of req) bytes += (chunk as Buffer).length;
      res.json({ bytes });
    });
    kit = await startKitApp(routes, 'silent', {
      bodyStreams: { 'POST /items/stream': ['application/x-ndjson'] },
    });
  });

  afterAll(() => kit.close());

  test('a path served under other methods answers 405 with Allow', async () => {
    const response = await fetch(`${kit.baseUrl}/items`, { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD, POST');
    expect(await problem(response)).toMatchObject({ code: 'method_not_allowed' });
  });

  test('a path parameter that is not valid percent-encoding answers 400 naming the path', async () => {
    const response = await fetch(`${app.baseUrl}/things/%ZZ`);
    expect(response.status).toBe(400);
    const body = await problem(response);
    expect(body.errors).toEqual([{ field: '(path)', detail: 'is not valid percent-encoding' }]);
  });

  test('a kit route answers 405 too', async () => {
    const response = await fetch(`${kit.baseUrl}/healthz`, { method: 'POST' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });

  test('a stream route reads its own type unparsed, and answers 415 to JSON', async () => {
    const streamed = await fetch(`${kit.baseUrl}/items/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: '{"a":1}\n{"a":2}\n',
    });
    expect(await streamed.json()).toEqual({ bytes: 16 });

    const json = await fetch(`${kit.baseUrl}/items/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(json.status).toBe(415);
    expect((await problem(json)).detail).toBe('send the body as application/x-ndjson');
  });

  test('a body whose compression is corrupt answers 400, an unknown charset 415', async () => {
    const corrupt = await fetch(`${kit.baseUrl}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: 'xx',
    });
    expect(corrupt.status).toBe(400);
    expect((await problem(corrupt)).code).toBe('invalid');

    const latin1 = await fetch(`${kit.baseUrl}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=latin1' },
      body: '{}',
    });
    expect(latin1.status).toBe(415);
    expect((await problem(latin1)).code).toBe('unsupported_charset');
  });

  test("a JSON route answers 415 to a stream route's type", async () => {
    const response = await fetch(`${kit.baseUrl}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: '{"a":1}\n',
    });
    expect(response.status).toBe(415);
    expect((await problem(response)).detail).toBe('send the body as application/json');
  });

  // fetch cannot send these: they are written on a raw socket.
  async function raw(head: string) {
    const socket = connect(Number(new URL(kit.baseUrl).port), '127.0.0.1');
    socket.end(head, 'latin1');
    let text = '';
    for await (const chunk of socket) text += (chunk as Buffer).toString('latin1');
    const [headers = '', body = ''] = text.split('\r\n\r\n');
    return {
      status: Number(headers.split(' ')[1]),
      type: /content-type: ([^\r\n]+)/i.exec(headers)?.[1],
      body,
    };
  }

  test.each([
    ['a 20 KB URL', `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431],
    ['a byte ≥ 0x80 in the URL', 'GET /caf\xe9 HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    [
      'bad chunked encoding',
      'POST /items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      400,
    ],
    ['CONNECT', 'CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n', 405],
    ['no Host header', 'GET /items HTTP/1.1\r\nConnection: close\r\n\r\n', 400],
  ])('%s answers %i as problem+json', async (_name, head, status) => {
    const answer = await raw(head);
    expect(answer.status).toBe(status);
    expect(answer.type).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(answer.body)).toMatchObject({ status, type: expect.any(String) });
  });
});

describe('the API reference', () => {
  test('/openapi.json serves the document, /docs a page that loads its viewer from the service, / points to both', async () => {
    const openapi = { openapi: '3.1.1', info: { title: 'things', version: '1.0.0' }, paths: {} };
    const docs = await startKitApp(express.Router(), 'silent', { openapi });
    try {
      expect(await (await fetch(`${docs.baseUrl}/openapi.json`)).json()).toEqual(openapi);

      const page = await fetch(`${docs.baseUrl}/docs`);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await page.text();
      const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]);
      // relative, so that the page works behind a prefix too (/api/geo/docs on the one origin)
      expect(scripts).toEqual(['docs/assets/swagger-ui-bundle.js', 'docs/init.js']);
      const init = await (await fetch(`${docs.baseUrl}/docs/init.js`)).text();
      expect(init).toContain("url: 'openapi.json'");
      for (const script of scripts) {
        const asset = await fetch(new URL(String(script), `${docs.baseUrl}/docs`));
        expect(asset.status).toBe(200);
        expect(asset.headers.get('content-type')).toMatch(/javascript/);
        await asset.arrayBuffer();
      }

      const index = await fetch(`${docs.baseUrl}/`);
      expect(await index.json()).toMatchObject({
        links: { docs: '/docs', openapi: '/openapi.json' },
      });
      const browser = await fetch(`${docs.baseUrl}/`, {
        headers: { accept: 'text/html' },
        redirect: 'manual',
      });
      expect(browser.status).toBe(302);
      expect(browser.headers.get('location')).toBe('/docs');
      expect(await (await fetch(`${docs.baseUrl}/openapi.json`)).json()).not.toHaveProperty(
        'servers',
      );

      // behind a proxy that put the service under /api/things (the one origin's gateway)
      const prefixed = { 'x-forwarded-prefix': '/api/things' };
      expect(
        await (await fetch(`${docs.baseUrl}/openapi.json`, { headers: prefixed })).json(),
      ).toEqual({ ...openapi, servers: [{ url: '/api/things' }] });
      expect(await (await fetch(`${docs.baseUrl}/`, { headers: prefixed })).json()).toMatchObject({
        links: { docs: '/api/things/docs', openapi: '/api/things/openapi.json' },
      });
      const behind = await fetch(`${docs.baseUrl}/`, {
        headers: { ...prefixed, accept: 'text/html' },
        redirect: 'manual',
      });
      expect(behind.headers.get('location')).toBe('/api/things/docs');
      // a value that is not a plain path changes nothing
      for (const value of ['//evil.example', '/a b', 'api/things', '/x/../y', '/%2e%2e', '/']) {
        const response = await fetch(`${docs.baseUrl}/`, {
          headers: { 'x-forwarded-prefix': value, accept: 'text/html' },
          redirect: 'manual',
        });
        expect(response.headers.get('location'), value).toBe('/docs');
      }
    } finally {
      await docs.close();
    }
  });
});
