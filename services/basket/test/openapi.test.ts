/**
 * GET /openapi.json: the OpenAPI 3.1 document, checked against real answers of every documented
 * operation and status, so that it cannot promise what the service does not do. 503 comes from
 * an app whose Redis is a port nobody listens on; 507 from a memory store that holds 30 baskets.
 */
import { freeLoopbackPort, listenOnFreePort, testKit } from '@quadrants/service-kit/testing';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApp } from '../src/app.ts';
import { closeRedisClient, createRedisClient } from '../src/data/redis.ts';
import { createRedisBasketStore } from '../src/data/redis-store.ts';
import {
  type Answer,
  aLine,
  type BasketApp,
  type BasketClient,
  basketClient,
  DEFAULT_LIMITS,
  IDLE_MS,
  startBasket,
} from './basket-app.ts';

interface Operation {
  responses: Record<
    string,
    { content?: Record<string, { schema: object }>; headers?: Record<string, object> }
  >;
}
interface OpenApi {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
}

let app: BasketApp;
let down: { api: BasketClient; close(): Promise<void> };
let doc: OpenApi;
let ajv: Ajv2020;
const checked = new Set<string>();

beforeAll(async () => {
  app = await startBasket('memory', { maxBaskets: 30 });
  doc = (await app.api.send<OpenApi>('GET', '/openapi.json')).body;
  ajv = new Ajv2020({ strict: false, validateFormats: false });
  ajv.addSchema({ $id: 'doc', components: doc.components });

  const redis = createRedisClient({
    url: `redis://127.0.0.1:${await freeLoopbackPort()}`,
    connectTimeoutMs: 200,
    commandTimeoutMs: 200,
  });
  redis.on('error', () => {});
  const store = createRedisBasketStore(redis, {
    keyPrefix: 'never:',
    idleMs: IDLE_MS,
    limits: DEFAULT_LIMITS,
  });
  const running = await listenOnFreePort(
    createApp({ ...testKit({ bodyLimit: '8kb' }), store, idleMs: IDLE_MS }),
  );
  down = {
    api: basketClient(running.baseUrl),
    async close() {
      await running.close();
      await closeRedisClient(redis);
    },
  };
});
afterAll(async () => {
  await app?.close();
  await down?.close();
});

/** Checks a real answer against what the document promises for that operation and status. */
function conforms(operation: string, answer: Answer) {
  const [method = '', path = ''] = operation.split(' ');
  const documented = doc.paths[path]?.[method.toLowerCase()]?.responses[String(answer.status)];
  expect(documented, `${operation} documents ${answer.status}`).toBeDefined();
  for (const header of Object.keys(documented?.headers ?? {})) {
    expect(
      answer.headers.get(header),
      `${operation} ${answer.status} sends ${header}`,
    ).not.toBeNull();
  }
  if (answer.status !== 204 && answer.status !== 304) {
    const mediaType = answer.type.split(';')[0] ?? '';
    const schema = documented?.content?.[mediaType]?.schema as { $ref?: string } | undefined;
    expect(schema, `${operation} ${answer.status} documents ${mediaType}`).toBeDefined();
    const validate = ajv.compile(schema?.$ref ? { $ref: `doc${schema.$ref}` } : (schema ?? {}));
    expect(validate(answer.body), JSON.stringify(validate.errors)).toBe(true);
  }
  checked.add(`${method.toLowerCase()} ${path} ${answer.status}`);
}

describe('GET /openapi.json', () => {
  test('is OpenAPI 3.1 and every real answer fits what it documents', async () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    const { send } = app.api;
    const json = (body: unknown, headers: Record<string, string> = {}) => ({ body, headers });
    const notJson = async (method: string, path: string) => {
      const response = await fetch(`${app.baseUrl}${path}`, {
        method,
        headers: { 'content-type': 'text/plain' },
        body: 'x',
      });
      return {
        status: response.status,
        headers: response.headers,
        type: response.headers.get('content-type') ?? '',
        body: await response.json(),
      } as Answer;
    };
    const huge = { ...aLine(), padding: 'x'.repeat(10_000) };
    const unknown = 'AAAAAAAAAAAAAAAAAAAAAA';

    conforms('POST /baskets', await send('POST', '/baskets'));
    conforms('POST /baskets', await send('POST', '/baskets', json({ extra: 1 })));
    conforms(
      'POST /baskets',
      await send('POST', '/baskets', json({ padding: 'x'.repeat(10_000) })),
    );
    conforms('POST /baskets', await notJson('POST', '/baskets'));
    conforms('POST /baskets', await down.api.send('POST', '/baskets'));

    const { id } = await app.api.create();
    const lines = `/baskets/${id}/lines`;
    conforms('POST /baskets/{id}/lines', await send('POST', lines, json(aLine({ sku: 'A' }))));
    conforms('POST /baskets/{id}/lines', await send('POST', lines, json({ sku: 'A' })));
    conforms(
      'POST /baskets/{id}/lines',
      await send('POST', `/baskets/${unknown}/lines`, json(aLine())),
    );
    conforms(
      'POST /baskets/{id}/lines',
      await send('POST', lines, json(aLine(), { 'If-Match': '"1"' })),
    );
    conforms('POST /baskets/{id}/lines', await send('POST', lines, json(huge)));
    conforms('POST /baskets/{id}/lines', await notJson('POST', lines));
    conforms(
      'POST /baskets/{id}/lines',
      await send('POST', lines, json(aLine({ currency: 'USD' }))),
    );
    conforms(
      'POST /baskets/{id}/lines',
      await down.api.send('POST', `/baskets/${unknown}/lines`, json(aLine())),
    );

    conforms('GET /baskets/{id}', await send('GET', `/baskets/${id}`));
    conforms(
      'GET /baskets/{id}',
      await send('GET', `/baskets/${id}`, { headers: { 'If-None-Match': '"2"' } }),
    );
    conforms(
      'GET /baskets/{id}',
      await send('GET', `/baskets/${id}`, { headers: { 'If-None-Match': '2' } }),
    );
    conforms('GET /baskets/{id}', await send('GET', `/baskets/${unknown}`));
    conforms('GET /baskets/{id}', await down.api.send('GET', `/baskets/${unknown}`));

    const line = `${lines}/A`;
    conforms('PATCH /baskets/{id}/lines/{sku}', await send('PATCH', line, json({ quantity: 3 })));
    conforms('PATCH /baskets/{id}/lines/{sku}', await send('PATCH', line, json({ quantity: 0 })));
    conforms(
      'PATCH /baskets/{id}/lines/{sku}',
      await send('PATCH', `${lines}/NOPE`, json({ quantity: 1 })),
    );
    conforms(
      'PATCH /baskets/{id}/lines/{sku}',
      await send('PATCH', line, json({ quantity: 1 }, { 'If-Match': '"1"' })),
    );
    conforms(
      'PATCH /baskets/{id}/lines/{sku}',
      await send('PATCH', line, json({ quantity: 1_000 })),
    );
    conforms(
      'PATCH /baskets/{id}/lines/{sku}',
      await send('PATCH', line, json({ quantity: 1, padding: 'x'.repeat(10_000) })),
    );
    conforms('PATCH /baskets/{id}/lines/{sku}', await notJson('PATCH', line));
    conforms(
      'PATCH /baskets/{id}/lines/{sku}',
      await down.api.send('PATCH', `/baskets/${unknown}/lines/A`, json({ quantity: 1 })),
    );

    conforms('DELETE /baskets/{id}/lines/{sku}', await send('DELETE', `${lines}/NOPE`));
    conforms('DELETE /baskets/{id}/lines/{sku}', await send('DELETE', `${lines}/bad%20sku`));
    conforms(
      'DELETE /baskets/{id}/lines/{sku}',
      await send('DELETE', line, { headers: { 'If-Match': '"1"' } }),
    );
    conforms('DELETE /baskets/{id}/lines/{sku}', await send('DELETE', line));
    conforms(
      'DELETE /baskets/{id}/lines/{sku}',
      await down.api.send('DELETE', `/baskets/${unknown}/lines/A`),
    );

    conforms('DELETE /baskets/{id}/lines', await send('DELETE', lines));
    conforms(
      'DELETE /baskets/{id}/lines',
      await send('DELETE', lines, { headers: { 'If-Match': 'x' } }),
    );
    conforms(
      'DELETE /baskets/{id}/lines',
      await send('DELETE', lines, { headers: { 'If-Match': '"1"' } }),
    );
    conforms('DELETE /baskets/{id}/lines', await send('DELETE', `/baskets/${unknown}/lines`));
    conforms(
      'DELETE /baskets/{id}/lines',
      await down.api.send('DELETE', `/baskets/${unknown}/lines`),
    );

    conforms(
      'DELETE /baskets/{id}',
      await send('DELETE', `/baskets/${id}`, { headers: { 'If-Match': '"1"' } }),
    );
    conforms(
      'DELETE /baskets/{id}',
      await send('DELETE', `/baskets/${id}`, { headers: { 'If-Match': '1' } }),
    );
    conforms('DELETE /baskets/{id}', await send('DELETE', `/baskets/${id}`));
    conforms('DELETE /baskets/{id}', await send('DELETE', `/baskets/${id}`));
    conforms('DELETE /baskets/{id}', await down.api.send('DELETE', `/baskets/${unknown}`));

    // 507: fill the memory store (30 baskets); then a new basket is refused.
    let full: Answer | undefined;
    for (let i = 0; i < 40 && !full; i++) {
      const answer = await send('POST', '/baskets');
      if (answer.status !== 201) full = answer;
    }
    if (full) conforms('POST /baskets', full);

    // Every documented status was met above, but these: a change refused as full needs Redis at
    // maxmemory (test/outage.test.ts); the memory store refuses only new baskets.
    const elsewhere = new Set([
      'post /baskets/{id}/lines 507',
      'patch /baskets/{id}/lines/{sku} 507',
    ]);
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).flatMap(([method, op]) =>
        Object.keys(op.responses).map((status) => `${method} ${path} ${status}`),
      ),
    );
    expect(documented.filter((r) => !checked.has(r) && !elsewhere.has(r))).toEqual([]);
  });
});
