import http from 'node:http';
import type { RunningApp } from '@quadrants/service-kit/testing';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGeo, testLimits } from './app.ts';

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}
interface OpenApi {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
}

let geo: RunningApp;
let doc: OpenApi;
let ajv: Ajv2020;
const exercised = new Set<string>();

beforeAll(async () => {
  geo = await startGeo();
  doc = (await (await fetch(`${geo.baseUrl}/openapi.json`)).json()) as OpenApi;
  ajv = new Ajv2020({ strict: false });
  ajv.addSchema({ $id: 'doc', components: doc.components });
});
afterAll(() => geo.close());

function validatorFor(schema: object) {
  const ref = (schema as { $ref?: string }).$ref;
  return ajv.compile(ref ? { $ref: `doc${ref}` } : schema);
}

/** Checks a real response against what the document promises for that operation and status. */
async function conforms(method: string, path: string, response: Response | { status: number }) {
  const operation = doc.paths[path]?.[method];
  expect(operation, `${method} ${path} is documented`).toBeDefined();
  const documented = operation?.responses[String(response.status)];
  expect(documented, `${method} ${path} documents ${response.status}`).toBeDefined();
  exercised.add(`${method} ${path} ${response.status}`);
  if (!(response instanceof Response)) return;

  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0] ?? '';
  const schema = documented?.content?.[mediaType]?.schema;
  expect(schema, `${method} ${path} ${response.status} documents ${mediaType}`).toBeDefined();
  const validate = validatorFor(schema ?? {});
  const text = await response.text();
  const bodies =
    mediaType === 'application/x-ndjson'
      ? text
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as unknown)
      : [JSON.parse(text) as unknown];
  expect(bodies.length).toBeGreaterThan(0);
  for (const body of bodies) expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
}

const get = (path: string) => fetch(`${geo.baseUrl}${path}`);
const post = (path: string, body: unknown, contentType = 'application/json') =>
  fetch(`${geo.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

/** A revalidation as a cache sends it (fetch() would add Cache-Control: no-cache). */
async function notModified(path: string) {
  const etag = (await get(path)).headers.get('etag') ?? '';
  return new Promise<{ status: number }>((resolve, reject) => {
    http
      .get(`${geo.baseUrl}${path}`, { headers: { 'if-none-match': etag } }, (response) => {
        response.resume();
        resolve({ status: response.statusCode ?? 0 });
      })
      .on('error', reject);
  });
}

describe('the OpenAPI document', () => {
  test('is OpenAPI 3.1', () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
  });

  test('describes real answers of /convert', async () => {
    const path = '/convert';
    await conforms('get', path, await get('/convert?from=latlon&lat=10&lon=20'));
    await conforms(
      'get',
      path,
      await get('/convert?from=latlon&lat=89.99&lon=20&to=utm,webmercator'),
    );
    await conforms(
      'get',
      path,
      await get('/convert?from=latlon&lat=51.5&lon=-0.1&to=EPSG:27700,EPSG:2056'),
    );
    await conforms('get', path, await get('/convert?from=latlon&lat=north&lon=20'));
    await conforms('get', path, await get('/convert?from=latlon&lat=89&lon=0&utmZone=31'));
    await conforms('get', path, await notModified('/convert?from=mgrs&mgrs=4QFJ1234567890'));
    await conforms(
      'post',
      path,
      await post(path, { position: { from: 'ecef', x: 6378137, y: 0, z: 0 } }),
    );
    await conforms('post', path, await post(path, { position: { from: 'latlon', lat: 1 } }));
    await conforms(
      'post',
      path,
      await post(path, { position: { from: 'mgrs', mgrs: 'x'.repeat(70_000) } }),
    );
    await conforms('post', path, await post(path, 'from=latlon', 'text/plain'));
    await conforms(
      'post',
      path,
      await post(path, {
        position: { from: 'utm', zone: 31, hemisphere: 'N', easting: 9e6, northing: 0 },
      }),
    );
  });

  test('describes real answers of /convert/batch and /convert/stream', async () => {
    const points = [
      { from: 'latlon', lat: 1, lon: 2 },
      { from: 'mgrs', mgrs: '??' },
    ];
    await conforms('post', '/convert/batch', await post('/convert/batch', { points, to: ['utm'] }));
    await conforms('post', '/convert/batch', await post('/convert/batch', { points: 'all' }));
    const tooMany = Array.from({ length: testLimits.batchMaxPoints + 1 }, () => points[0]);
    await conforms('post', '/convert/batch', await post('/convert/batch', { points: tooMany }));
    await conforms('post', '/convert/batch', await post('/convert/batch', 'x', 'text/plain'));
    const lines = `${JSON.stringify(points[0])}\nnot json\n${JSON.stringify(points[1])}\n`;
    await conforms(
      'post',
      '/convert/stream',
      await post('/convert/stream', lines, 'application/x-ndjson'),
    );
    await conforms(
      'post',
      '/convert/stream',
      await post('/convert/stream?to=x', lines, 'application/x-ndjson'),
    );
    await conforms('post', '/convert/stream', await post('/convert/stream', lines, 'text/plain'));
  });

  test('describes real answers of the geodesic endpoints and /crs', async () => {
    const inverse = 'lat1=0&lon1=0&lat2=1&lon2=1';
    const direct = 'lat1=0&lon1=0&azimuth1=30&distance=1000';
    await conforms('get', '/geodesic/inverse', await get(`/geodesic/inverse?${inverse}`));
    await conforms('get', '/geodesic/inverse', await get('/geodesic/inverse?lat1=x'));
    await conforms('get', '/geodesic/inverse', await notModified(`/geodesic/inverse?${inverse}`));
    const inverseBody = { lat1: 0, lon1: 0, lat2: -1, lon2: 179 };
    await conforms('post', '/geodesic/inverse', await post('/geodesic/inverse', inverseBody));
    await conforms('post', '/geodesic/inverse', await post('/geodesic/inverse', { lat1: 0 }));
    await conforms('post', '/geodesic/inverse', await post('/geodesic/inverse', 'x', 'text/plain'));
    await conforms('get', '/geodesic/direct', await get(`/geodesic/direct?${direct}`));
    await conforms('get', '/geodesic/direct', await get('/geodesic/direct?distance=far'));
    await conforms('get', '/geodesic/direct', await notModified(`/geodesic/direct?${direct}`));
    const directBody = { lat1: 0, lon1: 0, azimuth1: 90, distance: 20_000_000 };
    await conforms('post', '/geodesic/direct', await post('/geodesic/direct', directBody));
    await conforms('post', '/geodesic/direct', await post('/geodesic/direct', { lat1: 0 }));
    await conforms('post', '/geodesic/direct', await post('/geodesic/direct', 'x', 'text/plain'));
    await conforms('get', '/crs', await get('/crs'));
    await conforms('get', '/crs', await notModified('/crs'));
  });

  test('every documented answer was seen in a real response', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.entries(operations).flatMap(([method, operation]) =>
        Object.keys(operation.responses).map((status) => `${method} ${path} ${status}`),
      ),
    );
    expect([...exercised].sort()).toEqual(documented.sort());
  });

  test('its request schema accepts what the service accepts and refuses what it refuses', () => {
    const validate = validatorFor({ $ref: '#/components/schemas/ConvertRequest' });
    expect(validate({ position: { from: 'latlon', lat: 1, lon: 2 }, to: ['EPSG:27700'] })).toBe(
      true,
    );
    expect(validate({ position: { from: 'latlon', lat: 91, lon: 2 } })).toBe(false);
    expect(
      validate({ position: { from: 'utm', zone: 1.5, hemisphere: 'N', easting: 1, northing: 1 } }),
    ).toBe(false);
    expect(validate({ position: { from: 'latlon', lat: 1, lon: 2 }, to: ['osgb'] })).toBe(false);
  });
});
