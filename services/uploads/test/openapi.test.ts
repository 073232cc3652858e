/**
 * GET /openapi.json: the OpenAPI 3.1 document, checked against real answers of every
 * documented operation and status, so that it cannot promise what the service does not do.
 */
import { mkdir, rm } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type Answer,
  eventually,
  filesIn,
  multipart,
  PNG,
  slowUpload,
  someText,
  startUploads,
  type UploadsApp,
  uploadsClient,
} from './uploads-app.ts';

interface Operation {
  responses: Record<
    string,
    {
      content?: Record<string, { schema: object }>;
      headers?: Record<string, { required?: boolean }>;
    }
  >;
}
interface OpenApi {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
}

let app: UploadsApp;
let gone: UploadsApp;
let doc: OpenApi;
let ajv: Ajv2020;
const checked = new Set<string>();

beforeAll(async () => {
  app = await startUploads({ maxFileSize: 64 * 1024, maxFields: 2 });
  gone = await startUploads();
  doc = (await uploadsClient(app.baseUrl).get<OpenApi>('/openapi.json')).body;
  ajv = new Ajv2020({ strict: false, validateFormats: false });
  ajv.addSchema({ $id: 'doc', components: doc.components });
});
afterAll(async () => {
  await app?.close();
  await mkdir(gone.dir, { recursive: true });
  await gone?.close();
});

/** Checks a real answer against what the document promises for that operation and status. */
function conforms(operation: string, answer: Answer) {
  const [method = '', path = ''] = operation.split(' ');
  // HEAD is GET without the body (RFC 9110 §9.3.2): documented once, as GET.
  const documented =
    doc.paths[path]?.[method === 'HEAD' ? 'get' : method.toLowerCase()]?.responses[
      String(answer.status)
    ];
  expect(documented, `${operation} documents ${answer.status}`).toBeDefined();
  for (const [header, spec] of Object.entries(documented?.headers ?? {})) {
    if (spec.required === false) continue;
    expect(
      answer.headers.get(header),
      `${operation} ${answer.status} sends ${header}`,
    ).not.toBeNull();
  }
  if (answer.status !== 304 && method !== 'HEAD') {
    const mediaType = answer.type.split(';')[0] ?? '';
    const content = documented?.content ?? {};
    const schema = (content[mediaType] ?? content['*/*'])?.schema as
      | { $ref?: string; format?: string }
      | undefined;
    expect(schema, `${operation} ${answer.status} documents ${mediaType}`).toBeDefined();
    if (schema?.format !== 'binary') {
      const validate = ajv.compile(schema?.$ref ? { $ref: `doc${schema.$ref}` } : (schema ?? {}));
      expect(validate(answer.body), JSON.stringify(validate.errors)).toBe(true);
    }
  }
  checked.add(`${method.toLowerCase()} ${path} ${answer.status}`);
}

describe('GET /openapi.json', () => {
  test('is OpenAPI 3.1 and every real answer fits what it documents', async () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    const api = uploadsClient(app.baseUrl);
    const post = 'POST /uploads';

    const bytes = someText();
    const created = await api.upload(bytes);
    conforms(post, created);
    conforms(post, await api.upload(bytes));
    conforms(post, await api.raw(multipart([{ name: 'note', data: 'x' }])));
    conforms(post, await api.upload(someText(), { key: 'not a key' }));
    conforms(post, await api.upload(someText(70_000)));
    conforms(post, await api.raw('x', { 'content-type': 'text/plain' }));
    conforms(post, await api.upload(PNG, { type: 'text/plain' }));
    const key = crypto.randomUUID();
    conforms(post, await api.upload(someText(), { key }));
    conforms(post, await api.upload(someText(), { key }));
    const held = crypto.randomUUID();
    const slow = await slowUpload(app.baseUrl, someText(), {
      headers: { 'idempotency-key': held },
    });
    await eventually(
      async () => (await filesIn(app.dir)).some((path) => path.endsWith('.lock')),
      'the slow upload holds its key',
    );
    conforms(post, await api.upload(someText(), { key: held }));
    await slow.finish();
    await rm(gone.dir, { recursive: true, force: true });
    conforms(post, await uploadsClient(gone.baseUrl).upload(someText()));

    const id = created.body.id;
    const get = 'GET /uploads/{id}';
    conforms(get, await api.get(`/uploads/${id}`));
    conforms('HEAD /uploads/{id}', await api.get(`/uploads/${id}`, {}, 'HEAD'));
    conforms(get, await api.get(`/uploads/${id}`, { range: 'bytes=0-9' }));
    conforms(get, await api.get(`/uploads/${id}`, { 'if-none-match': `"${id}"` }));
    conforms(get, await api.get(`/uploads/${'0'.repeat(64)}`));
    conforms(get, await api.get(`/uploads/${id}`, { 'if-match': '"x"' }));
    conforms(get, await api.get(`/uploads/${id}`, { range: 'bytes=99999-' }));

    const meta = 'GET /uploads/{id}/meta';
    conforms(meta, await api.get(`/uploads/${id}/meta`));
    conforms(meta, await api.get(`/uploads/${id}/meta`, { 'if-none-match': `"${id}"` }));
    conforms(meta, await api.get(`/uploads/${'0'.repeat(64)}/meta`));

    // Every documented status was met above, but 507, which needs a full filesystem
    // (test/volume.test.ts).
    const elsewhere = new Set(['post /uploads 507']);
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).flatMap(([method, op]) =>
        Object.keys(op.responses).map((status) => `${method} ${path} ${status}`),
      ),
    );
    const met = new Set([...checked].map((entry) => entry.replace(/^head /, 'get ')));
    expect(documented.filter((r) => !met.has(r) && !elsewhere.has(r))).toEqual([]);
  });
});
