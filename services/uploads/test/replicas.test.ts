/**
 * Two replicas on one directory, as on the shared volume: the same bytes sent to both at the
 * same moment give one id and one object; many distinct uploads at once all land intact; an
 * Idempotency-Key in flight on one replica answers 409 on the other.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  eventually,
  filesIn,
  freshDir,
  sha256,
  slowUpload,
  someText,
  startUploads,
  tempFiles,
  type UploadsApp,
  type UploadsClient,
  uploadsClient,
} from './uploads-app.ts';

let one: UploadsApp;
let two: UploadsApp;
let apis: [UploadsClient, UploadsClient];
let dir: string;

beforeAll(async () => {
  dir = await freshDir();
  one = await startUploads({ dir, instance: 'one', maxFileSize: 4 * 1024 * 1024 });
  two = await startUploads({ dir, instance: 'two', maxFileSize: 4 * 1024 * 1024 });
  apis = [uploadsClient(one.baseUrl), uploadsClient(two.baseUrl)];
});
afterAll(async () => {
  await one.close();
  await two.close();
  const { rm } = await import('node:fs/promises');
  await rm(dir, { recursive: true, force: true });
});

const objectsOf = async (id: string) =>
  (await filesIn(dir)).filter((path) => path.startsWith(`objects/${id.slice(0, 2)}/${id}`));

describe('the same bytes sent to both replicas at the same moment', () => {
  test('both succeed with one id, exactly one of them created it, and one object is kept', async () => {
    for (let round = 0; round < 20; round += 1) {
      const bytes = someText(256 * 1024);
      const answers = await Promise.all(
        apis.map((api) => api.upload(bytes, { name: `r${round}.txt` })),
      );
      expect(answers.map((a) => a.body.id)).toEqual([sha256(bytes), sha256(bytes)]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 201]);
      expect(answers[0]?.body).toEqual(answers[1]?.body);
      expect(await objectsOf(sha256(bytes))).toHaveLength(2); // the bytes and their metadata
    }
    expect(await tempFiles(dir)).toEqual([]);
  });
});

describe('50 distinct uploads at once, through both replicas', () => {
  test('all land, each readable from either replica byte for byte', async () => {
    const files = Array.from({ length: 50 }, (_, i) => someText(16 * 1024 + i * 4_096));
    const answers = await Promise.all(
      files.map((bytes, i) => apis[i % 2]?.upload(bytes, { name: `f${i}.txt` })),
    );
    expect(answers.map((a) => a?.status)).toEqual(files.map(() => 201));
    for (const [i, bytes] of files.entries()) {
      const id = sha256(bytes);
      expect(answers[i]?.body.id).toBe(id);
      const read = await apis[(i + 1) % 2]?.get(`/uploads/${id}`);
      expect(read?.status).toBe(200);
      expect(sha256(read?.bytes ?? Buffer.alloc(0))).toBe(id);
    }
    expect(await tempFiles(dir)).toEqual([]);
  });
});

describe('an Idempotency-Key across replicas', () => {
  test('while one replica is receiving the upload, the other answers 409 with Retry-After; then replays', async () => {
    const key = crypto.randomUUID();
    const bytes = someText(512 * 1024);
    const slow = await slowUpload(one.baseUrl, bytes, { headers: { 'idempotency-key': key } });
    await eventually(
      async () =>
        (await filesIn(dir)).some((path) => path.startsWith('keys/') && path.endsWith('.lock')),
      'the key is held',
    );
    const meanwhile = await apis[1].upload(bytes, { key, name: 'slow.txt' });
    expect(meanwhile.status).toBe(409);
    expect(meanwhile.body.code).toBe('idempotency_key_in_use');
    expect(meanwhile.headers.get('retry-after')).toBe('1');

    const done = await slow.finish();
    expect(done.status).toBe(201);
    const retry = await apis[1].upload(bytes, { key, name: 'slow.txt' });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(JSON.parse(done.body));
  });

  test('the same key sent to both at once: one answer is stored, and the other is it or a 409', async () => {
    for (let round = 0; round < 10; round += 1) {
      const key = crypto.randomUUID();
      const bytes = someText(64 * 1024);
      const answers = await Promise.all(
        apis.map((api) => api.upload(bytes, { key, name: 'same.txt' })),
      );
      const statuses = answers.map((a) => a.status).sort();
      expect([
        [201, 409],
        [201, 201],
      ]).toContainEqual(statuses);
      const later = await apis[round % 2]?.upload(bytes, { key, name: 'same.txt' });
      expect(later?.status).toBe(201);
      expect(later?.headers.get('idempotent-replayed')).toBe('true');
    }
  });
});
