/**
 * GET /openapi.json: the OpenAPI 3.1 document, checked against real answers of every
 * documented operation and status, so that it cannot promise what the service does not do.
 */
import type { RunningApp } from '@quadrants/service-kit/testing';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGeo, testLimits } from './app.ts';
import { type Answer, client, expectAnyQueryAnswers200Or304, type GeoClient } from './http.ts';

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}
interface OpenApi {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
}

let geo: RunningApp;
let api: GeoClient;
let doc: OpenApi;
let ajv: Ajv2020;

beforeAll(async () => {
  geo = await startGeo();
  api = client(geo);
  doc = (await api.get('/openapi.json')).body as OpenApi;
  ajv = new Ajv2020({ strict: false });
  ajv.addSchema({ $id: 'doc', components: doc.components });
});
afterAll(() => geo.close());

function validatorFor(schema: object) {
  const ref = (schema as { $ref?: string }).$ref;
  return ajv.compile(ref ? { $ref: `doc${ref}` } : schema);
}

/** Checks a real answer against what the document promises for that operation and status. */
function conforms(operation: string, answer: Answer | { status: number }) {
  const [method = '', path = ''] = operation.toLowerCase().split(' ');
  const documented = doc.paths[path]?.[method]?.responses[String(answer.status)];
  expect(documented, `${operation} documents ${answer.status}`).toBeDefined();
  if (!('text' in answer)) return;

  const mediaType = answer.type.split(';')[0] ?? '';
  const schema = documented?.content?.[mediaType]?.schema;
  expect(schema, `${operation} ${answer.status} documents ${mediaType}`).toBeDefined();
  const validate = validatorFor(schema ?? {});
  const bodies =
    mediaType === 'application/x-ndjson'
      ? answer.text
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as unknown)
      : [JSON.parse(answer.text) as unknown];
  expect(bodies.length).toBeGreaterThan(0);
  for (const body of bodies) expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
}

/** The status of a revalidation as a cache sends it, with the ETag of a first answer. */
async function notModified(path: string) {
  const etag = (await api.get(path)).headers.get('etag') ?? '';
  return { status: await api.revalidate(path, etag) };
}

const points = [
  { from: 'latlon', lat: 1, lon: 2 },
  { from: 'mgrs', mgrs: '??' },
];
const lines = `${JSON.stringify(points[0])}\nnot json\n${JSON.stringify(points[1])}\n`;
const inverse = 'lat1=0&lon1=0&lat2=1&lon2=1';
const direct = 'lat1=0&lon1=0&azimuth1=30&distance=1000';

/** Requests that, between them, draw every answer the document describes, by operation. */
const realRequests: Record<string, (() => Promise<Answer | { status: number }>)[]> = {
  'GET /convert': [
    () => api.get('/convert?from=latlon&lat=10&lon=20'),
    () => api.get('/convert?from=latlon&lat=89.99&lon=20&to=utm,webmercator'),
    () => api.get('/convert?from=latlon&lat=51.5&lon=-0.1&to=EPSG:27700,EPSG:2056'),
    () => api.get('/convert?from=latlon&lat=north&lon=20'),
    () => api.get('/convert?from=latlon&lat=89&lon=0&utmZone=31'),
    () => notModified('/convert?from=mgrs&mgrs=4QFJ1234567890'),
  ],
  'POST /convert': [
    () => api.post('/convert', { position: { from: 'ecef', x: 6378137, y: 0, z: 0 } }),
    () => api.post('/convert', { position: { from: 'latlon', lat: 1 } }),
    () => api.post('/convert', { position: { from: 'mgrs', mgrs: 'x'.repeat(70_000) } }),
    () => api.postText('/convert', 'from=latlon', 'text/plain'),
    () =>
      api.post('/convert', {
        position: { from: 'utm', zone: 31, hemisphere: 'N', easting: 9e6, northing: 0 },
      }),
  ],
  'POST /convert/batch': [
    () => api.post('/convert/batch', { points, to: ['utm'] }),
    () => api.post('/convert/batch', { points: 'all' }),
    () =>
      api.post('/convert/batch', {
        points: Array.from({ length: testLimits.batchMaxPoints + 1 }, () => points[0]),
      }),
    () => api.postText('/convert/batch', 'x', 'text/plain'),
  ],
  'POST /convert/stream': [
    () => api.postText('/convert/stream', lines, 'application/x-ndjson'),
    () => api.postText('/convert/stream?to=x', lines, 'application/x-ndjson'),
    () => api.postText('/convert/stream', lines, 'text/plain'),
  ],
  'GET /geodesic/inverse': [
    () => api.get(`/geodesic/inverse?${inverse}`),
    () => api.get('/geodesic/inverse?lat1=x'),
    () => notModified(`/geodesic/inverse?${inverse}`),
  ],
  'POST /geodesic/inverse': [
    () => api.post('/geodesic/inverse', { lat1: 0, lon1: 0, lat2: -1, lon2: 179 }),
    () => api.post('/geodesic/inverse', { lat1: 0 }),
    () => api.postText('/geodesic/inverse', 'x', 'text/plain'),
  ],
  'GET /geodesic/direct': [
    () => api.get(`/geodesic/direct?${direct}`),
    () => api.get('/geodesic/direct?distance=far'),
    () => notModified(`/geodesic/direct?${direct}`),
  ],
  'POST /geodesic/direct': [
    () => api.post('/geodesic/direct', { lat1: 0, lon1: 0, azimuth1: 90, distance: 20_000_000 }),
    () => api.post('/geodesic/direct', { lat1: 0 }),
    () => api.postText('/geodesic/direct', 'x', 'text/plain'),
  ],
  'GET /crs': [() => api.get('/crs'), () => notModified('/crs')],
};

describe('GET /openapi.json', () => {
  test('is OpenAPI 3.1', () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
  });

  test.each(Object.keys(realRequests))('describes real answers of %s', async (operation) => {
    for (const send of realRequests[operation] ?? []) conforms(operation, await send());
  });

  test('every answer it describes is one that a real request draws', async () => {
    const documented = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.entries(operations).flatMap(([method, operation]) =>
        Object.keys(operation.responses).map(
          (status) => `${method.toUpperCase()} ${path} ${status}`,
        ),
      ),
    );
    const drawn = new Set<string>();
    for (const [operation, sends] of Object.entries(realRequests)) {
      for (const send of sends) drawn.add(`${operation} ${(await send()).status}`);
    }
    expect([...drawn].sort()).toEqual(documented.sort());
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

  test('any query and any If-None-Match answer 200 or 304', async () => {
    await expectAnyQueryAnswers200Or304(api, '/openapi.json');
  });
});
