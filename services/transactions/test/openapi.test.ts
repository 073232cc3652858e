/**
 * GET /openapi.json: the OpenAPI 3.1 document, checked against real answers of every
 * documented operation and status, so that it cannot promise what the service does not do.
 */
import { randomUUID } from 'node:crypto';
import { Ajv2020 } from 'ajv/dist/2020.js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Answer, type Ledger, startLedger } from './ledger.ts';

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}
interface OpenApi {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
}

let ledger: Ledger;
let doc: OpenApi;
let ajv: Ajv2020;
const checked = new Set<string>();

beforeAll(async () => {
  ledger = await startLedger();
  doc = (await ledger.api.get<OpenApi>('/openapi.json')).body;
  // Formats (uuid, date-time) are the zod schemas' job, tested with the routes.
  ajv = new Ajv2020({ strict: false, validateFormats: false });
  ajv.addSchema({ $id: 'doc', components: doc.components });
});
afterAll(() => ledger.close());

/** Checks a real answer against what the document promises for that operation and status. */
function conforms(operation: string, answer: Answer) {
  const [method = '', path = ''] = operation.split(' ');
  const documented = doc.paths[path]?.[method.toLowerCase()]?.responses[String(answer.status)];
  expect(documented, `${operation} documents ${answer.status}`).toBeDefined();
  const mediaType = answer.type.split(';')[0] ?? '';
  const schema = documented?.content?.[mediaType]?.schema as { $ref?: string } | undefined;
  expect(schema, `${operation} ${answer.status} documents ${mediaType}`).toBeDefined();
  const validate = ajv.compile(schema?.$ref ? { $ref: `doc${schema.$ref}` } : (schema ?? {}));
  expect(validate(answer.body), JSON.stringify(validate.errors)).toBe(true);
  checked.add(`${method.toLowerCase()} ${path} ${answer.status}`);
}

describe('GET /openapi.json', () => {
  test('is OpenAPI 3.1 and every real answer fits what it documents', async () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    const api = ledger.api;
    const unknown = randomUUID();

    const opened = await api.post<{ id: string }>('/accounts', {
      owner: 'Ada',
      currency: 'EUR',
      openingBalance: 100,
    });
    conforms('POST /accounts', opened);
    const other = await api.openAccount({ openingBalance: 0 });
    conforms('POST /accounts', await api.post('/accounts', { currency: 'EUR' }));
    conforms('POST /accounts', await api.post('/accounts', { owner: 'x', currency: 'EUR' }, null));
    const reusedKey = randomUUID();
    await api.post('/accounts', { owner: 'a', currency: 'EUR' }, reusedKey);
    conforms(
      'POST /accounts',
      await api.post('/accounts', { owner: 'b', currency: 'EUR' }, reusedKey),
    );

    const reference = `openapi:${randomUUID()}`;
    conforms(
      'POST /accounts',
      await api.post('/accounts', { owner: 'r', currency: 'EUR', reference }),
    );
    conforms(
      'POST /accounts',
      await api.post('/accounts', { owner: 's', currency: 'EUR', reference }),
    );
    conforms('GET /accounts', await api.get(`/accounts?reference=${reference}`));
    conforms('GET /accounts', await api.get('/accounts?reference=Not%20One'));

    const id = opened.body.id;
    conforms('GET /accounts/{id}', await api.get(`/accounts/${id}`));
    conforms('GET /accounts/{id}', await api.get(`/accounts/${unknown}`));
    conforms('GET /accounts/{id}', await api.get('/accounts/nope'));
    conforms('GET /accounts/{id}/entries', await api.get(`/accounts/${id}/entries?limit=1`));
    conforms('GET /accounts/{id}/entries', await api.get(`/accounts/${unknown}/entries`));
    conforms('GET /accounts/{id}/entries', await api.get(`/accounts/${id}/entries?limit=0`));

    const made = await api.post<{ id: string }>('/transfers', {
      fromAccountId: id,
      toAccountId: other.id,
      amount: 60,
      reference: 'ok',
    });
    conforms('POST /transfers', made);
    conforms(
      'POST /transfers',
      await api.post('/transfers', { fromAccountId: id, toAccountId: other.id, amount: 1e6 }),
    );
    conforms('POST /transfers', await api.post('/transfers', { amount: 1 }));
    conforms('GET /transfers/{id}', await api.get(`/transfers/${made.body.id}`));
    conforms('GET /transfers/{id}', await api.get(`/transfers/${unknown}`));
    conforms('GET /transfers/{id}', await api.get('/transfers/12'));
    conforms('GET /transfers', await api.get(`/transfers?accountId=${id}&limit=1`));
    conforms('GET /transfers', await api.get('/transfers?limit=x'));

    // 409: the key's lock held, as by a request still running.
    const key = randomUUID();
    const holder = new pg.Client({ connectionString: ledger.url });
    await holder.connect();
    await holder.query("SELECT pg_advisory_lock(hashtextextended($1 || ' ' || $2, 0))", [
      'POST /transfers',
      key,
    ]);
    conforms(
      'POST /transfers',
      await api.post('/transfers', { fromAccountId: id, toAccountId: other.id, amount: 1 }, key),
    );
    await holder.query("SELECT pg_advisory_lock(hashtextextended($1 || ' ' || $2, 0))", [
      'POST /accounts',
      key,
    ]);
    conforms('POST /accounts', await api.post('/accounts', { owner: 'c', currency: 'EUR' }, key));
    await holder.end();

    // Every documented 2xx and 4xx that a request can reach was met above.
    const reachable = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).flatMap(([method, op]) =>
        Object.keys(op.responses)
          // 413/415 are the kit's (tested there); 503 is the fault test's.
          .filter((status) => !['413', '415', '503'].includes(status))
          .map((status) => `${method} ${path} ${status}`),
      ),
    );
    expect(reachable.filter((r) => !checked.has(r))).toEqual([]);
  });
});
