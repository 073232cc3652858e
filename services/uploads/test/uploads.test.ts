/**
 * uploads' HTTP API against a real directory: storing by content, reading back with the
 * headers caches and download managers use, and every refusal as problem+json that leaves
 * nothing on the disk.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type Answer,
  BOUNDARY,
  filesIn,
  freshDir,
  multipart,
  PNG,
  sha256,
  someText,
  startUploads,
  tempFiles,
  type UploadJson,
  type UploadsApp,
  type UploadsClient,
  uploadsClient,
} from './uploads-app.ts';

let app: UploadsApp;
let api: UploadsClient;

beforeAll(async () => {
  app = await startUploads({ maxFileSize: 64 * 1024, maxFields: 3 });
  api = uploadsClient(app.baseUrl);
});
afterAll(() => app.close());

function expectProblem(answer: Answer<{ code?: string }>, status: number, code: string) {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.type).toMatch(/^application\/problem\+json/);
  expect(answer.body.code).toBe(code);
}

/** Runs `send` and checks that nothing on the disk changed and nothing was left in tmp/. */
async function leavesNothing(send: () => Promise<Answer<{ code?: string }>>) {
  const before = await filesIn(app.dir);
  const answer = await send();
  expect(await filesIn(app.dir)).toEqual(before);
  expect(await tempFiles(app.dir)).toEqual([]);
  return answer;
}

describe('POST /uploads', () => {
  test('stores new bytes under their SHA-256 and answers 201 with Location and ETag', async () => {
    const bytes = someText();
    const answer = await api.upload(bytes, { name: 'notes.txt', fields: { order: 'A-17' } });
    expect(answer.status).toBe(201);
    const id = sha256(bytes);
    expect(answer.body).toEqual({
      id,
      name: 'notes.txt',
      size: bytes.length,
      type: 'text/plain',
      createdAt: expect.any(String),
      fields: { order: 'A-17' },
    });
    expect(answer.headers.get('location')).toBe(`/uploads/${id}`);
    expect(answer.headers.get('etag')).toBe(`"${id}"`);
    expect(await filesIn(app.dir)).toEqual(
      expect.arrayContaining([
        `objects/${id.slice(0, 2)}/${id}`,
        `objects/${id.slice(0, 2)}/${id}.json`,
      ]),
    );
  });

  test('when the same bytes come again, answers 200 with the same id and keeps one copy', async () => {
    const bytes = someText();
    const first = await api.upload(bytes, { name: 'a.txt' });
    const before = await filesIn(app.dir);
    const second = await api.upload(bytes, { name: 'b.txt' });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(await filesIn(app.dir)).toEqual(before);
  });

  test('an empty file is an upload too', async () => {
    const answer = await api.upload(Buffer.alloc(0), { name: 'empty.txt' });
    expect([200, 201]).toContain(answer.status);
    expect(answer.body.id).toBe(sha256(Buffer.alloc(0)));
    expect(answer.body.size).toBe(0);
  });

  test('keeps a PNG as image/png, sniffed and declared alike', async () => {
    const answer = await api.upload(PNG, { name: 'pixel.png', type: 'image/png' });
    expect([200, 201]).toContain(answer.status);
    expect(answer.body.type).toBe('image/png');
  });

  test('a file declared application/octet-stream is kept as what its bytes show, if that is allowed', async () => {
    const answer = await api.upload(Buffer.concat([PNG, someText(10)]), {
      name: 'unknown.bin',
      type: 'application/octet-stream',
    });
    expect(answer.status).toBe(201);
    expect(answer.body.type).toBe('image/png');
  });
});

describe('POST /uploads refusals', () => {
  test('a file larger than UPLOADS_MAX_FILE_SIZE answers 413 file_too_large', async () => {
    const answer = await leavesNothing(() => api.upload(someText(64 * 1024 + 1)));
    expectProblem(answer, 413, 'file_too_large');
  });

  test('a file of exactly UPLOADS_MAX_FILE_SIZE is taken', async () => {
    expect((await api.upload(someText(64 * 1024))).status).toBe(201);
  });

  test('a declared length far beyond the limit answers 413 before the body is read', async () => {
    const answer = await leavesNothing(() =>
      api
        .raw(multipart([{ name: 'file', filename: 'x.txt', type: 'text/plain', data: 'x' }]), {
          'content-length': String(10 * 1024 * 1024),
        })
        .catch(() => undefined as never),
    );
    // fetch may refuse to send a body shorter than its Content-Length; when it sends, 413.
    if (answer) expectProblem(answer, 413, 'file_too_large');
  });

  test('more fields than UPLOADS_MAX_FIELDS answer 413 too_many_fields', async () => {
    const fields = Object.fromEntries(['a', 'b', 'c', 'd'].map((name) => [name, 'x']));
    expectProblem(
      await leavesNothing(() => api.upload(someText(), { fields })),
      413,
      'too_many_fields',
    );
  });

  test('a field value over 1 kB answers 413 field_too_large', async () => {
    const answer = await leavesNothing(() =>
      api.upload(someText(), { fields: { note: 'x'.repeat(1_025) } }),
    );
    expectProblem(answer, 413, 'field_too_large');
  });

  test('two files answer 400 unexpected_file', async () => {
    const body = multipart([
      { name: 'file', filename: 'a.txt', type: 'text/plain', data: someText() },
      { name: 'file', filename: 'b.txt', type: 'text/plain', data: someText() },
    ]);
    expectProblem(await leavesNothing(() => api.raw(body)), 400, 'unexpected_file');
  });

  test('a file in a part not named "file" answers 400 unexpected_file', async () => {
    const body = multipart([
      { name: 'photo', filename: 'a.txt', type: 'text/plain', data: someText() },
    ]);
    expectProblem(await leavesNothing(() => api.raw(body)), 400, 'unexpected_file');
  });

  test('no file at all answers 400 file_missing', async () => {
    const body = multipart([{ name: 'note', data: 'hello' }]);
    expectProblem(await leavesNothing(() => api.raw(body)), 400, 'file_missing');
  });

  test('a field sent twice answers 400 naming it', async () => {
    const body = multipart([
      { name: 'note', data: 'one' },
      { name: 'note', data: 'two' },
      { name: 'file', filename: 'a.txt', type: 'text/plain', data: someText() },
    ]);
    const answer = await leavesNothing(() => api.raw(body));
    expectProblem(answer, 400, 'invalid');
    expect(answer.body).toMatchObject({ errors: [{ field: 'fields.note' }] });
  });

  test('a nested field name answers 400', async () => {
    const body = multipart([
      { name: 'a[b]', data: 'one' },
      { name: 'file', filename: 'a.txt', type: 'text/plain', data: someText() },
    ]);
    expect((await leavesNothing(() => api.raw(body))).status).toBe(400);
  });

  test('a body cut short answers 400 multipart_invalid', async () => {
    const whole = multipart([
      { name: 'file', filename: 'a.txt', type: 'text/plain', data: someText(5_000) },
    ]);
    expectProblem(
      await leavesNothing(() => api.raw(whole.subarray(0, 3_000))),
      400,
      'multipart_invalid',
    );
  });

  test('a body that is not multipart answers 415 unsupported_media_type', async () => {
    const answer = await leavesNothing(() =>
      api.raw('{"file":"x"}', { 'content-type': 'application/json' }),
    );
    expectProblem(answer, 415, 'unsupported_media_type');
  });

  test('multipart without a boundary answers 400', async () => {
    const answer = await leavesNothing(() =>
      api.raw('junk', { 'content-type': 'multipart/form-data' }),
    );
    expect(answer.status).toBe(400);
    expect(answer.type).toMatch(/problem\+json/);
  });

  test('a type outside the allow-list answers 415 type_not_allowed', async () => {
    const answer = await leavesNothing(() =>
      api.upload(someText(), { type: 'text/html', name: 'x.html' }),
    );
    expectProblem(answer, 415, 'type_not_allowed');
  });

  test('a PNG declared text/plain answers 415 type_mismatch naming both', async () => {
    const answer = await leavesNothing(() => api.upload(PNG, { type: 'text/plain' }));
    expectProblem(answer, 415, 'type_mismatch');
    expect(answer.body).toMatchObject({ declared: 'text/plain', sniffed: 'image/png' });
  });

  test('text declared image/png answers 415 type_mismatch', async () => {
    const answer = await leavesNothing(() => api.upload(someText(10_000), { type: 'image/png' }));
    expectProblem(answer, 415, 'type_mismatch');
  });

  test('an executable declared application/octet-stream answers 415 (its type is not allowed)', async () => {
    const elf = Buffer.concat([
      Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]),
      Buffer.alloc(64),
    ]);
    const answer = await leavesNothing(() => api.upload(elf, { type: 'application/octet-stream' }));
    expectProblem(answer, 415, 'type_not_allowed');
  });

  test('a malformed Idempotency-Key answers 400 idempotency_key_invalid', async () => {
    const answer = await leavesNothing(() => api.upload(someText(), { key: 'has spaces in it' }));
    expectProblem(answer, 400, 'idempotency_key_invalid');
  });
});

describe('POST /uploads, as the router matches it', () => {
  test('a trailing slash or another case still takes multipart/form-data', async () => {
    for (const path of ['/uploads/', '/UPLOADS', '/Uploads/']) {
      const response = await fetch(`${app.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
        body: multipart([
          { name: 'file', filename: 'a.txt', type: 'text/plain', data: someText() },
        ]),
      });
      expect(response.status, path).toBe(201);
    }
  });

  test('a field value with a NUL answers 400 naming the field', async () => {
    const body = multipart([
      { name: 'note', data: 'a\u0000b' },
      { name: 'file', filename: 'a.txt', type: 'text/plain', data: someText() },
    ]);
    const answer = await leavesNothing(() => api.raw(body));
    expectProblem(answer, 400, 'invalid');
    expect(answer.body).toMatchObject({ errors: [{ field: 'fields.note' }] });
  });
});

describe('file names', () => {
  const named = async (filename: string) => {
    const body = multipart([{ name: 'file', filename, type: 'text/plain', data: someText() }]);
    const answer = await api.raw(body);
    expect(answer.status).toBe(201);
    return answer.body as UploadJson;
  };

  test('a path in the name keeps only its last segment, and is never a path on the disk', async () => {
    expect((await named('../../../etc/passwd')).name).toBe('passwd');
    expect((await named('..\\..\\windows\\win.ini')).name).toBe('win.ini');
    expect((await named('.hidden')).name).toBe('hidden');
    expect((await filesIn(app.dir)).every((path) => /^(objects|keys|tmp)\//.test(path))).toBe(true);
  });

  test('a raw NUL in the part header answers 400 multipart_invalid and stores nothing', async () => {
    const body = multipart([
      { name: 'file', filename: 'evil\u0000.txt', type: 'text/plain', data: someText() },
    ]);
    expectProblem(await leavesNothing(() => api.raw(body)), 400, 'multipart_invalid');
  });

  test('NUL and other control characters sent encoded (filename*) are removed', async () => {
    const body = multipart([
      {
        name: 'file',
        type: 'text/plain',
        data: someText(),
        disposition: `form-data; name="file"; filename="fallback.txt"; filename*=UTF-8''evil%00%0A%1B%7F.txt`,
      },
    ]);
    const answer = await api.raw(body);
    expect(answer.status).toBe(201);
    expect((answer.body as UploadJson).name).toBe('evil.txt');
  });

  test('direction overrides are removed, so the name reads as it is', async () => {
    expect((await named('invoice\u202Efdp.exe')).name).toBe('invoicefdp.exe');
  });

  test('10 kB of unicode is cut to 255 UTF-8 bytes on a character boundary', async () => {
    const body = multipart([
      {
        name: 'file',
        filename: '😀'.repeat(2_500),
        type: 'text/plain',
        data: someText(),
      },
    ]);
    const answer = await api.raw(body);
    expect(answer.status).toBe(201);
    const { name } = answer.body as UploadJson;
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
    expect(name).toBe('😀'.repeat(63));
  });

  test('a UTF-8 name is kept, and sent back in Content-Disposition in both forms', async () => {
    const upload = await named('Zażółć gęślą jaźń.txt');
    expect(upload.name).toBe('Zażółć gęślą jaźń.txt');
    const answer = await api.get(`/uploads/${upload.id}`);
    expect(answer.headers.get('content-disposition')).toBe(
      `attachment; filename="Za____ g__l_ ja__.txt"; filename*=UTF-8''${encodeURIComponent('Zażółć gęślą jaźń.txt')}`,
    );
  });
});

describe('a directory under a dot-directory (.data/uploads, as pnpm start keeps it)', () => {
  test('serves its files', async () => {
    const { mkdir, rm } = await import('node:fs/promises');
    const parent = await freshDir();
    const dir = `${parent}/.data/uploads`;
    await mkdir(dir, { recursive: true });
    const dotted = await startUploads({ dir });
    try {
      const client = uploadsClient(dotted.baseUrl);
      const bytes = someText();
      const { body } = await client.upload(bytes);
      const answer = await client.get(`/uploads/${body.id}`);
      expect(answer.status).toBe(200);
      expect(answer.bytes.equals(bytes)).toBe(true);
    } finally {
      await dotted.close();
      await rm(parent, { recursive: true, force: true });
    }
  });
});

describe('GET /uploads/{id}', () => {
  let stored: UploadJson;
  let bytes: Buffer;
  beforeAll(async () => {
    bytes = someText(10_000);
    stored = (await api.upload(bytes, { name: 'page.txt' })).body;
  });

  test('streams the bytes with their type, ETag, Last-Modified and a year of immutable caching', async () => {
    const answer = await api.get(`/uploads/${stored.id}`);
    expect(answer.status).toBe(200);
    expect(answer.bytes.equals(bytes)).toBe(true);
    expect(answer.headers.get('content-type')).toBe('text/plain');
    expect(answer.headers.get('etag')).toBe(`"${stored.id}"`);
    expect(answer.headers.get('last-modified')).toMatch(/GMT$/);
    expect(answer.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(answer.headers.get('accept-ranges')).toBe('bytes');
    expect(answer.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
  });

  test('HEAD answers the same headers and no body', async () => {
    const answer = await api.get(`/uploads/${stored.id}`, {}, 'HEAD');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-length')).toBe(String(bytes.length));
    expect(answer.headers.get('etag')).toBe(`"${stored.id}"`);
    expect(answer.bytes.length).toBe(0);
  });

  test('If-None-Match with its ETag answers 304', async () => {
    const answer = await api.get(`/uploads/${stored.id}`, { 'if-none-match': `"${stored.id}"` });
    expect(answer.status).toBe(304);
    expect(answer.bytes.length).toBe(0);
  });

  test('If-None-Match with another ETag answers 200', async () => {
    expect((await api.get(`/uploads/${stored.id}`, { 'if-none-match': '"other"' })).status).toBe(
      200,
    );
  });

  test('If-Modified-Since its Last-Modified answers 304', async () => {
    const modified = (await api.get(`/uploads/${stored.id}`)).headers.get('last-modified') ?? '';
    expect((await api.get(`/uploads/${stored.id}`, { 'if-modified-since': modified })).status).toBe(
      304,
    );
  });

  test('a Range answers 206 with just those bytes', async () => {
    const answer = await api.get(`/uploads/${stored.id}`, { range: 'bytes=100-199' });
    expect(answer.status).toBe(206);
    expect(answer.headers.get('content-range')).toBe(`bytes 100-199/${bytes.length}`);
    expect(answer.bytes.equals(bytes.subarray(100, 200))).toBe(true);
  });

  test('a suffix Range answers the last bytes', async () => {
    const answer = await api.get(`/uploads/${stored.id}`, { range: 'bytes=-10' });
    expect(answer.status).toBe(206);
    expect(answer.bytes.equals(bytes.subarray(-10))).toBe(true);
  });

  test('If-Range with its ETag honours the Range; with another, sends the whole file', async () => {
    const same = await api.get(`/uploads/${stored.id}`, {
      range: 'bytes=0-9',
      'if-range': `"${stored.id}"`,
    });
    expect(same.status).toBe(206);
    const other = await api.get(`/uploads/${stored.id}`, {
      range: 'bytes=0-9',
      'if-range': '"other"',
    });
    expect(other.status).toBe(200);
    expect(other.bytes.length).toBe(bytes.length);
  });

  test('a Range beyond the end answers 416 as problem+json with Content-Range', async () => {
    const answer = await api.get<{ code: string }>(`/uploads/${stored.id}`, {
      range: 'bytes=20000-30000',
    });
    expectProblem(answer, 416, 'range_not_satisfiable');
    expect(answer.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
  });

  test('If-Match with another ETag answers 412 as problem+json', async () => {
    const answer = await api.get<{ code: string }>(`/uploads/${stored.id}`, {
      'if-match': '"other"',
    });
    expectProblem(answer, 412, 'precondition_failed');
  });

  test('If-Match compares strongly: its own tag or * serves, the weak form answers 412', async () => {
    expect((await api.get(`/uploads/${stored.id}`, { 'if-match': `"${stored.id}"` })).status).toBe(
      200,
    );
    expect(
      (await api.get(`/uploads/${stored.id}`, { 'if-match': `"x", "${stored.id}"` })).status,
    ).toBe(200);
    expect((await api.get(`/uploads/${stored.id}`, { 'if-match': '*' })).status).toBe(200);
    const weak = await api.get<{ code: string }>(`/uploads/${stored.id}`, {
      'if-match': `W/"${stored.id}"`,
    });
    expectProblem(weak, 412, 'precondition_failed');
  });

  test('a weak If-Range never matches: the whole file, not the range', async () => {
    const answer = await api.get(`/uploads/${stored.id}`, {
      range: 'bytes=0-9',
      'if-range': `W/"${stored.id}"`,
    });
    expect(answer.status).toBe(200);
    expect(answer.bytes.length).toBe(bytes.length);
  });

  test('the range unit is case-insensitive', async () => {
    const answer = await api.get(`/uploads/${stored.id}`, { range: 'BYTES=0-1' });
    expect(answer.status).toBe(206);
    expect(answer.bytes.equals(bytes.subarray(0, 2))).toBe(true);
  });

  test('an unknown id answers 404 upload_not_found', async () => {
    const answer = await api.get<{ code: string }>(`/uploads/${'0'.repeat(64)}`);
    expectProblem(answer, 404, 'upload_not_found');
  });

  test('an id that no upload could have (a path, upper case) answers 404 and reads nothing', async () => {
    for (const id of ['..%2F..%2Fetc%2Fpasswd', 'A'.repeat(64), `${stored.id}.json`, '%00']) {
      const answer = await api.get<{ code: string }>(`/uploads/${id}`);
      expect([400, 404], id).toContain(answer.status);
      expect(answer.type).toMatch(/problem\+json/);
    }
  });

  test('GET /uploads/{id}/meta answers the metadata, with its ETag and 304', async () => {
    const answer = await api.get<UploadJson>(`/uploads/${stored.id}/meta`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(stored);
    const again = await api.get(`/uploads/${stored.id}/meta`, {
      'if-none-match': `"${stored.id}"`,
    });
    expect(again.status).toBe(304);
  });
});

describe('Idempotency-Key', () => {
  test('a retry with the key answers the first answer, marked Idempotent-Replayed', async () => {
    const bytes = someText();
    const key = crypto.randomUUID();
    const first = await api.upload(bytes, { key, name: 'k.txt' });
    const retry = await api.upload(bytes, { key, name: 'k.txt' });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
  });

  test('the key reused for other bytes answers 422 idempotency_key_reused and stores nothing', async () => {
    const key = crypto.randomUUID();
    expect((await api.upload(someText(), { key })).status).toBe(201);
    const answer = await leavesNothing(() => api.upload(someText(), { key }));
    expectProblem(answer, 422, 'idempotency_key_reused');
  });

  test('the key is free once its answer has arrived: the next request with it, sent at once, is never 409', async () => {
    // A client that retries (or, here, sends other bytes) the moment it has the answer must
    // find the key released, not still held by the request that answered it.
    for (let round = 0; round < 20; round += 1) {
      const key = crypto.randomUUID();
      const bytes = someText();
      expect((await api.upload(bytes, { key })).status).toBe(201);
      expect((await filesIn(app.dir)).filter((name) => name.endsWith('.lock'))).toEqual([]);
      const replay = await api.upload(bytes, { key });
      expect(replay.status, JSON.stringify(replay.body)).toBe(201);
      expect((await filesIn(app.dir)).filter((name) => name.endsWith('.lock'))).toEqual([]);
      expectProblem(await api.upload(someText(), { key }), 422, 'idempotency_key_reused');
    }
  });

  test('the key reused with the same bytes but other fields answers 422', async () => {
    const key = crypto.randomUUID();
    const bytes = someText();
    expect((await api.upload(bytes, { key, fields: { order: '1' } })).status).toBe(201);
    expectProblem(
      await api.upload(bytes, { key, fields: { order: '2' } }),
      422,
      'idempotency_key_reused',
    );
  });

  test('a refused upload stores no answer under its key: the corrected retry is taken', async () => {
    const key = crypto.randomUUID();
    expectProblem(await api.upload(PNG, { key, type: 'text/plain' }), 415, 'type_mismatch');
    expect((await api.upload(PNG, { key, type: 'image/png', name: 'p.png' })).status).toBeLessThan(
      300,
    );
  });

  test('another app on the same directory replays the answer (keys live on the volume)', async () => {
    const other = await startUploads({
      dir: app.dir,
      instance: 'other',
      maxFileSize: 64 * 1024,
      maxFields: 3,
    });
    try {
      const key = crypto.randomUUID();
      const bytes = someText();
      const first = await api.upload(bytes, { key });
      const retry = await uploadsClient(other.baseUrl).upload(bytes, { key });
      expect(retry.body).toEqual(first.body);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
    } finally {
      await other.close();
    }
  });
});
