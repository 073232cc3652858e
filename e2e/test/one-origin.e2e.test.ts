// The one origin: the browser reaches every service under /api/<service>/ and the site at /,
// on every target (packages/gateway locally, nginx under compose, the Gateway API on kind),
// with one trace through the hop and the services' own answers passed as they are.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { type Driver, selectTarget } from '../src/targets/index.ts';
import { until } from '../src/wait.ts';

const SERVICES = ['transactions', 'uploads', 'geo', 'basket'] as const;
const TRACE_ID = randomBytes(16).toString('hex');
const traceparent = () => `00-${TRACE_ID}-${randomBytes(8).toString('hex')}-01`;

let driver: Driver;
let origin: string;
beforeAll(async () => {
  driver = selectTarget().driver(inject('targetState'));
  origin = await driver.shopOrigin();
});
afterAll(() => driver.close());

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${origin}${path}`, { headers, signal: AbortSignal.timeout(15_000) });

describe(`the one origin on the ${inject('target')} target`, () => {
  test.each(SERVICES)('/api/%s/readyz is that service’s own readiness', async (service) => {
    // Each service tells its own document apart by its title: the answer is the service's.
    const ready = await get(`/api/${service}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
    const document = (await (await get(`/api/${service}/openapi.json`)).json()) as {
      info: { title: string };
      servers?: { url: string }[];
    };
    expect(document.info.title).toContain(service);
    // the service knows where it sits: its API reference calls /api/<service>/…
    expect(document.servers).toEqual([{ url: `/api/${service}` }]);
  });

  test('everything else is static-site: the landing page, its release, its own 404 page', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('quadrants');
    const release = await get('/_static/release');
    expect(release.status).toBe(200);
    expect(await release.json()).toHaveProperty('release');
    const missing = await get('/no/such/page');
    expect(missing.status).toBe(404);
  });

  test('a name no service has under /api/ is a 404 problem, not the site’s page', async () => {
    for (const path of ['/api/nope/x', '/api/geography/x']) {
      const response = await get(path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type'), path).toMatch(/^application\/problem\+json/);
      expect(await response.json(), path).toMatchObject({ code: 'service_not_found' });
    }
  });

  test('one trace through the hop: the service answers the browser’s trace-id, in headers and problems', async () => {
    const answer = await get('/api/geo/convert?from=latlon&lat=52.2297&lon=21.0122', {
      traceparent: traceparent(),
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('traceparent')?.split('-')[1]).toBe(TRACE_ID);
    const problem = await get('/api/transactions/accounts/not-an-id', {
      traceparent: traceparent(),
    });
    expect(problem.status).toBe(400);
    expect(await problem.json()).toMatchObject({ traceId: TRACE_ID });
  });

  test('a body streams through both ways: an upload in, the same bytes out', async () => {
    // A receipt as text: 3 MiB, unique to this run, so the upload is a new one.
    const line = `receipt ${randomBytes(8).toString('hex')}: 1 × kettle, 39.90 EUR\n`;
    const bytes = Buffer.from(line.repeat(Math.ceil((3 * 1024 * 1024) / line.length)));
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: 'text/plain' }), 'receipt.txt');
    const created = await fetch(`${origin}/api/uploads/uploads`, {
      method: 'POST',
      body: form,
      signal: AbortSignal.timeout(60_000),
    });
    expect([200, 201]).toContain(created.status);
    const { id } = (await created.json()) as { id: string };
    expect(id).toBe(createHash('sha256').update(bytes).digest('hex'));
    const read = await get(`/api/uploads/uploads/${id}`);
    expect(read.status).toBe(200);
    expect(Buffer.from(await read.arrayBuffer()).equals(bytes)).toBe(true);
  });

  test('a replica killed behind it: the origin finds the other, and the new one when it comes', async () => {
    const [victim] = await driver.replicas('geo');
    if (!victim) throw new Error('no geo replica');
    await driver.killReplica('geo', victim);
    await driver.waitForReplicas('geo');
    // Until the origin has noticed (a balancer's rotation, nginx's DNS cache of 5 s), a request
    // may still meet the dead one; then every request is answered.
    const path = '/api/geo/convert?from=latlon&lat=0&lon=0';
    await until('the origin to answer geo again', async () =>
      (await get(path)).status === 200 ? true : undefined,
    );
    const statuses = [];
    for (let i = 0; i < 20; i++) statuses.push((await get(path)).status);
    expect(statuses).toEqual(Array(20).fill(200));
  });
});
