/** The gateway in front of real HTTP servers: what reaches each, and what the browser is answered. */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createServiceApp } from '@quadrants/service-kit';
import {
  freeLoopbackPort,
  listenOnFreePort,
  type RunningApp,
  startServiceProcess,
  testKit,
} from '@quadrants/service-kit/testing';
import express from 'express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createGatewayApp } from '../src/app.ts';

/** What an upstream saw of one request. */
interface Seen {
  upstream: string;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bodySha256: string;
  bodyBytes: number;
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

/** An HTTP server that answers every request with what it saw, as JSON. */
async function echoServer(upstream: string): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const hash = createHash('sha256');
    let bodyBytes = 0;
    for await (const chunk of req) {
      hash.update(chunk as Buffer);
      bodyBytes += (chunk as Buffer).length;
    }
    const seen: Seen = {
      upstream,
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      bodySha256: hash.digest('hex'),
      bodyBytes,
    };
    res.writeHead(req.url === '/created' ? 201 : 200, {
      'content-type': 'application/json',
      location: '/somewhere/7',
      'x-upstream': upstream,
    });
    res.end(JSON.stringify(seen));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** An HTTP server that takes each request and never answers it. */
async function silentServer(): Promise<{ url: string; server: Server }> {
  const server = createServer(() => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** An HTTP server that drops each connection as soon as a request has arrived. */
async function resettingServer(): Promise<{ url: string; server: Server }> {
  const server = createServer((req) => req.socket.destroy());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** An HTTP server that promises 100 kB, sends 1 kB, and drops the connection. */
async function brokenOffServer(): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': '100000' });
    res.write('x'.repeat(1000), () => res.socket?.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Log lines written to a stream, parsed. */
function captured() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const lines = () =>
    text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { stream, lines };
}

const servers: Server[] = [];
const running: RunningApp[] = [];
let gateway: RunningApp;
const gatewayLog = captured();
const kitLog = captured();

beforeAll(async () => {
  const geo = await echoServer('geo');
  const uploads = await echoServer('uploads');
  const site = await echoServer('static-site');
  const silent = await silentServer();
  const resetting = await resettingServer();
  const brokenOff = await brokenOffServer();
  servers.push(geo.server, uploads.server, site.server, silent.server, resetting.server);
  servers.push(brokenOff.server);
  // a real service of the kit: its log, its problems, its API reference
  const kitService = testKit({ level: 'debug', destination: kitLog.stream });
  const routes = express.Router();
  routes.get('/things', (req, res) => {
    req.log.info('listing things');
    res.json({ items: [] });
  });
  const kit = await listenOnFreePort(
    createServiceApp({
      ...kitService,
      routes,
      openapi: { openapi: '3.1.1', info: { title: 'things', version: '1.0.0' }, paths: {} },
    }),
  );
  running.push(kit);
  const nothing = `http://127.0.0.1:${await freeLoopbackPort()}`;
  const { log, health } = testKit({ level: 'debug', destination: gatewayLog.stream });
  gateway = await listenOnFreePort(
    createGatewayApp({
      log,
      health,
      upstreams: {
        services: {
          geo: geo.url,
          uploads: uploads.url,
          basket: nothing,
          transactions: silent.url,
          reset: resetting.url,
          'broken-off': brokenOff.url,
          things: kit.baseUrl,
        },
        site: site.url,
      },
      upstreamTimeoutMs: 500,
    }),
  );
});

afterAll(async () => {
  await gateway?.close();
  for (const app of running) await app.close();
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

async function seen(response: Response): Promise<Seen> {
  expect(response.headers.get('content-type')).toBe('application/json');
  return (await response.json()) as Seen;
}

describe('/api/<service>/<rest>', () => {
  test('reaches that service at /<rest>, with the query as it came', async () => {
    const response = await fetch(`${gateway.baseUrl}/api/geo/convert?to=mgrs&lat=52.5&lon=13.4`);
    expect(response.status).toBe(200);
    expect(await seen(response)).toMatchObject({
      upstream: 'geo',
      method: 'GET',
      url: '/convert?to=mgrs&lat=52.5&lon=13.4',
    });
  });

  test('the bare prefix is the service’s /, and a longer name is not a prefix of it', async () => {
    expect(await seen(await fetch(`${gateway.baseUrl}/api/geo`))).toMatchObject({
      upstream: 'geo',
      url: '/',
    });
    const other = await fetch(`${gateway.baseUrl}/api/geography/x`);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ code: 'service_not_found' });
  });

  test('headers pass untouched; the trace goes on under the gateway’s span; X-Forwarded-* say who asked', async () => {
    const response = await fetch(`${gateway.baseUrl}/api/uploads/things/1`, {
      method: 'PUT',
      headers: {
        traceparent: TRACEPARENT,
        'idempotency-key': 'checkout-42',
        'if-match': '"v1"',
        range: 'bytes=0-9',
        'x-request-id': 'gateway-headers-1',
        'content-type': 'application/json',
      },
      body: '{"a":1}',
    });
    const upstream = await seen(response);
    expect(upstream).toMatchObject({ upstream: 'uploads', method: 'PUT', url: '/things/1' });
    expect(upstream.headers).toMatchObject({
      'idempotency-key': 'checkout-42',
      'if-match': '"v1"',
      range: 'bytes=0-9',
      'x-request-id': 'gateway-headers-1',
      'content-type': 'application/json',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
    });
    expect(upstream.headers['x-forwarded-host']).toBe(new URL(gateway.baseUrl).host);
    // where it sits on the origin, for the links its API reference writes
    expect(upstream.headers['x-forwarded-prefix']).toBe('/api/uploads');
    // the same trace, one hop on: the parent is the gateway's span, not the browser's
    const [version, traceId, parentId, flags] = String(upstream.headers.traceparent).split('-');
    expect([version, traceId, flags]).toEqual(['00', TRACE_ID, '01']);
    expect(parentId).toMatch(/^[0-9a-f]{16}$/);
    expect(parentId).not.toBe('00f067aa0ba902b7');
  });

  test('with no traceparent or request id, the service hears the ones the gateway made', async () => {
    const response = await fetch(`${gateway.baseUrl}/api/geo/x`);
    const upstream = await seen(response);
    const answered = response.headers.get('traceparent')?.split('-')[1];
    expect(String(upstream.headers.traceparent)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(String(upstream.headers.traceparent).split('-')[1]).toBe(answered);
    // and the request id the gateway gave it, the one its answer carries
    expect(upstream.headers['x-request-id']).toBe(response.headers.get('x-request-id'));
    expect(upstream.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('a large body streams through whole, byte for byte', async () => {
    const body = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4096) body.writeUInt32BE(i, i);
    const response = await fetch(`${gateway.baseUrl}/api/uploads/created`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body,
    });
    expect(response.status).toBe(201);
    expect(await seen(response)).toMatchObject({
      upstream: 'uploads',
      bodyBytes: body.length,
      bodySha256: createHash('sha256').update(body).digest('hex'),
    });
  });

  test('the service’s answer comes back as it was: status and headers', async () => {
    const response = await fetch(`${gateway.baseUrl}/api/uploads/created`, { method: 'POST' });
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe('/somewhere/7');
    expect(response.headers.get('x-upstream')).toBe('uploads');
  });

  test('no CORS headers, even for a request that names an Origin: one origin needs none', async () => {
    const response = await fetch(`${gateway.baseUrl}/api/geo/x`, {
      headers: { origin: 'http://elsewhere.example' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('in front of a service of the kit', () => {
  test('one trace: the service logs the caller’s trace-id under the gateway’s span, and answers it', async () => {
    const response = await fetch(`${gateway.baseUrl}/api/things/things`, {
      headers: { traceparent: TRACEPARENT, 'x-request-id': 'gateway-kit-1' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('gateway-kit-1');
    const [, answeredTrace, serviceSpan] = String(response.headers.get('traceparent')).split('-');
    expect(answeredTrace).toBe(TRACE_ID);
    const byRequest = (lines: Record<string, unknown>[]) =>
      lines.filter((line) => line.reqId === 'gateway-kit-1' && line.msg === 'request completed');
    await expect.poll(() => byRequest(gatewayLog.lines()).length, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => byRequest(kitLog.lines()).length, { timeout: 10_000 }).toBe(1);
    const [atGateway] = byRequest(gatewayLog.lines());
    const [atService] = byRequest(kitLog.lines());
    expect(atGateway).toMatchObject({ traceId: TRACE_ID, parentId: '00f067aa0ba902b7' });
    // the service's parent is the gateway's span, and its own span is the one answered
    expect(atService).toMatchObject({
      traceId: TRACE_ID,
      parentId: atGateway?.spanId,
      spanId: serviceSpan,
    });
    expect(kitLog.lines().find((line) => line.msg === 'listing things')).toMatchObject({
      traceId: TRACE_ID,
    });
  });

  test('its problems carry the trace-id', async () => {
    const response = await fetch(`${gateway.baseUrl}/api/things/nowhere`, {
      headers: { traceparent: TRACEPARENT },
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'route_not_found', traceId: TRACE_ID });
  });

  test('its API reference knows where it sits: /api/things', async () => {
    const document = await (await fetch(`${gateway.baseUrl}/api/things/openapi.json`)).json();
    expect(document).toMatchObject({ servers: [{ url: '/api/things' }] });
    const browser = await fetch(`${gateway.baseUrl}/api/things`, {
      headers: { accept: 'text/html' },
      redirect: 'manual',
    });
    expect(browser.headers.get('location')).toBe('/api/things/docs');
    const page = await (await fetch(`${gateway.baseUrl}/api/things/docs`)).text();
    const script = /<script src="([^"]+init\.js)"/.exec(page)?.[1] ?? '';
    // relative to the page: the service's own, through the gateway
    expect((await fetch(new URL(script, `${gateway.baseUrl}/api/things/docs`))).status).toBe(200);
  });
});

describe('everything else', () => {
  test.each(['/', '/shop/', '/shop/data/catalog.json', '/healthz', '/apix', '/_static/release'])(
    '%s goes to static-site',
    async (path) => {
      const upstream = await seen(
        // a prefix the browser made up is not passed on: the site is at the root
        await fetch(`${gateway.baseUrl}${path}`, { headers: { 'x-forwarded-prefix': '/x' } }),
      );
      expect(upstream).toMatchObject({ upstream: 'static-site', url: path });
      expect(upstream.headers['x-forwarded-prefix']).toBeUndefined();
    },
  );
});

describe('what the gateway answers itself', () => {
  test('its probes are under /_gateway/ and are never forwarded', async () => {
    const live = await fetch(`${gateway.baseUrl}/_gateway/healthz`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${gateway.baseUrl}/_gateway/readyz`);
    expect(ready.status).toBe(200);
    const other = await fetch(`${gateway.baseUrl}/_gateway/other`);
    expect(other.status).toBe(404);
    expect(other.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  test('a service name nobody has is a 404 naming the ones there are', async () => {
    for (const path of ['/api/nope/x', '/api/', '/api']) {
      const response = await fetch(`${gateway.baseUrl}${path}`);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const problem = (await response.json()) as { code: string; detail: string };
      expect(problem.code).toBe('service_not_found');
      expect(problem.detail).toContain(
        'geo, uploads, basket, transactions, reset, broken-off, things',
      );
    }
  });

  test('a service that is down is a 502 naming it, with the trace-id to quote', async () => {
    const response = await fetch(`${gateway.baseUrl}/api/basket/baskets`, {
      method: 'POST',
      headers: { traceparent: TRACEPARENT },
    });
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({
      status: 502,
      code: 'upstream_unavailable',
      detail: expect.stringContaining('basket is not reachable (ECONNREFUSED)'),
      instance: '/api/basket/baskets',
      traceId: TRACE_ID,
    });
  });

  test('a service that never answers is a 504 once the upstream timeout has passed', async () => {
    const response = await fetch(`${gateway.baseUrl}/api/transactions/transfers`);
    expect(response.status).toBe(504);
    expect(await response.json()).toMatchObject({
      code: 'upstream_timeout',
      detail: 'transactions did not answer in time',
    });
  });

  test('a service that drops the connection is a 502 that says so', async () => {
    const response = await fetch(`${gateway.baseUrl}/api/reset/x`);
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ code: 'upstream_reset' });
  });

  test('an answer that breaks off midway reaches the browser as a cut connection, not a whole body', async () => {
    const response = await fetch(`${gateway.baseUrl}/api/broken-off/x`);
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
  });

  test('the gateway keeps serving after every one of those', async () => {
    expect((await fetch(`${gateway.baseUrl}/api/geo/x`)).status).toBe(200);
  });

  test('a path the URL parser would normalise is forwarded as it came, for the service to judge', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>(
      (resolve, reject) => {
        const req = request(`${gateway.baseUrl}/api/geo/..%2F..%2Fetc/passwd`, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('error', reject);
        req.end();
      },
    );
    expect(status).toBe(200);
    expect(JSON.parse(body)).toMatchObject({ upstream: 'geo', url: '/..%2F..%2Fetc/passwd' });
  });
});

describe('the gateway process', () => {
  const entry = fileURLToPath(new URL('../src/main.ts', import.meta.url));

  test('starts on its PORT, is ready, and exits 0 on SIGTERM', async () => {
    const port = await freeLoopbackPort();
    const nowhere = `http://127.0.0.1:${await freeLoopbackPort()}`;
    const gatewayProcess = startServiceProcess(entry, {
      PORT: String(port),
      LOG_LEVEL: 'info',
      GATEWAY_ROUTES: `geo=${nowhere}`,
      GATEWAY_FALLBACK_URL: nowhere,
    });
    try {
      await gatewayProcess.waitFor((line) => String(line.msg).startsWith('listening'));
      const ready = await fetch(`http://127.0.0.1:${port}/_gateway/readyz`);
      expect(ready.status).toBe(200);
      // nothing runs behind it: the page and the API are 502s, the gateway is still ready
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(502);
      expect((await fetch(`http://127.0.0.1:${port}/api/geo/healthz`)).status).toBe(502);
    } finally {
      gatewayProcess.child.kill('SIGTERM');
    }
    expect(await gatewayProcess.exited).toBe(0);
  });

  test.each([
    ['an upstream that is not http', 'geo=ftp://127.0.0.1:21', 'geo: expected an http:// URL'],
    ['a pair without its url', 'geo', 'geo: expected an http:// URL'],
    ['a name twice', 'geo=http://127.0.0.1:1,geo=http://127.0.0.1:2', 'geo is given twice'],
    [
      'a name that is no path segment',
      'Geo/x=http://127.0.0.1:1',
      '"Geo/x=http://127.0.0.1:1" is not name=url',
    ],
    ['nothing', '', 'is required: name=url pairs'],
  ])('%s in GATEWAY_ROUTES stops it with one line that says so', async (_what, routes, says) => {
    const gatewayProcess = startServiceProcess(entry, {
      PORT: '0',
      GATEWAY_ROUTES: routes,
      GATEWAY_FALLBACK_URL: 'http://127.0.0.1:1',
    });
    expect(await gatewayProcess.exited).toBe(1);
    const fatal = gatewayProcess.lines.find((line) => line.level === 60);
    expect(String(fatal?.msg)).toContain('GATEWAY_ROUTES');
    expect(String(fatal?.msg)).toContain(says);
    expect(gatewayProcess.stderr()).toBe('');
  });

  test('without GATEWAY_FALLBACK_URL it does not start', async () => {
    const gatewayProcess = startServiceProcess(entry, {
      PORT: '0',
      GATEWAY_ROUTES: 'geo=http://127.0.0.1:1',
    });
    expect(await gatewayProcess.exited).toBe(1);
    const fatal = gatewayProcess.lines.find((line) => line.level === 60);
    expect(String(fatal?.msg)).toContain('GATEWAY_FALLBACK_URL: is required');
  });
});
