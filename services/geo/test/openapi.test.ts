import type { RunningApp } from '@quadrants/service-kit/testing';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGeo } from './app.ts';

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
const exercised = new Set<string>();

beforeAll(async () => {
  geo = await startGeo();
  doc = (await (await fetch(`${geo.baseUrl}/openapi.json`)).json()) as OpenApi;
});
afterAll(() => geo.close());

/** Checks a real response against what the document promises for that operation and status. */
async function conforms(method: string, path: string, response: Response) {
  const operation = doc.paths[path]?.[method];
  expect(operation, `${method} ${path} is documented`).toBeDefined();
  const documented = operation?.responses[String(response.status)];
  expect(documented, `${method} ${path} documents ${response.status}`).toBeDefined();
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0] ?? '';
  const schema = documented?.content?.[mediaType]?.schema;
  expect(schema, `${method} ${path} ${response.status} documents ${mediaType}`).toBeDefined();

  const ajv = new Ajv2020({ strict: false });
  ajv.addSchema({ $id: 'doc', components: doc.components });
  const validate = ajv.compile({ $ref: `doc#/components/schemas/${refName(schema)}` });
  const body: unknown = await response.json();
  expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
  exercised.add(`${method} ${path} ${response.status}`);
}

function refName(schema: unknown): string {
  const ref = (schema as { $ref?: string }).$ref ?? '';
  return ref.replace('#/components/schemas/', '');
}

const post = (body: unknown, contentType = 'application/json') =>
  fetch(`${geo.baseUrl}/convert`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('the OpenAPI document', () => {
  test('is OpenAPI 3.1', () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
  });

  test('describes real GET answers', async () => {
    const get = (query: string) => fetch(`${geo.baseUrl}/convert?${query}`);
    await conforms('get', '/convert', await get('from=latlon&lat=10&lon=20'));
    await conforms('get', '/convert', await get('from=latlon&lat=89.99&lon=20'));
    await conforms('get', '/convert', await get('from=mgrs&mgrs=4QFJ1234567890'));
    await conforms('get', '/convert', await get('from=latlon&lat=north&lon=20'));
  });

  test('describes real POST answers', async () => {
    await conforms('post', '/convert', await post({ from: 'webmercator', x: 1000, y: -2000 }));
    await conforms('post', '/convert', await post({ from: 'latlon', lat: 1 }));
    await conforms('post', '/convert', await post({ from: 'mgrs', mgrs: 'x'.repeat(40_000) }));
    await conforms('post', '/convert', await post('from=latlon', 'text/plain'));
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
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(doc.components.schemas.Position ?? {});
    expect(validate({ from: 'latlon', lat: 1, lon: 2 })).toBe(true);
    expect(validate({ from: 'latlon', lat: 91, lon: 2 })).toBe(false);
    expect(validate({ from: 'utm', zone: 1.5, hemisphere: 'N', easting: 1, northing: 1 })).toBe(
      false,
    );
  });
});
