/**
 * When the volume fails: a directory that is gone answers 503 storage_unavailable and turns
 * readiness off; a full filesystem answers 507 storage_full (needs root to mount a small
 * tmpfs). Neither leaves anything behind, and what was stored stays readable.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { afterEach, describe, expect, test } from 'vitest';
import {
  filesIn,
  freshDir,
  someText,
  startUploads,
  tempFiles,
  type UploadsApp,
  uploadsClient,
} from './uploads-app.ts';

const apps: UploadsApp[] = [];
const mounts: string[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  for (const dir of mounts.splice(0)) {
    execFileSync('umount', [dir]);
    await rm(dir, { recursive: true, force: true });
  }
});

const isRoot = process.getuid?.() === 0;

describe('a volume that is gone', () => {
  test('answers 503 storage_unavailable with Retry-After, and /readyz fails', async () => {
    const app = await startUploads();
    apps.push(app);
    const api = uploadsClient(app.baseUrl);
    expect((await api.get('/readyz')).status).toBe(200);
    await rm(app.dir, { recursive: true, force: true });
    const answer = await api.upload(someText());
    expect(answer.status).toBe(503);
    expect(answer.body.code).toBe('storage_unavailable');
    expect(answer.headers.get('retry-after')).toBe('5');
    expect((await api.get('/readyz')).status).toBe(503);
    await mkdir(app.dir); // for close()
  });
});

describe.skipIf(!isRoot)('a full volume (root: a 1 MiB tmpfs)', () => {
  test('answers 507 storage_full, leaves no temporary file, and keeps serving what is stored', async () => {
    const dir = await freshDir();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
    mounts.push(dir);
    const app = await startUploads({ dir, maxFileSize: 4 * 1024 * 1024 });
    apps.push(app);
    const api = uploadsClient(app.baseUrl);
    const kept = await api.upload(someText(100_000));
    expect(kept.status).toBe(201);

    const answer = await api.upload(someText(2 * 1024 * 1024));
    expect(answer.status).toBe(507);
    expect(answer.body.code).toBe('storage_full');
    expect(await tempFiles(dir)).toEqual([]);
    expect((await api.get(`/uploads/${kept.body.id}`)).status).toBe(200);
    expect((await filesIn(dir)).filter((path) => path.startsWith('objects/'))).toHaveLength(2);
    // Room again once the failed upload's bytes are gone: a small upload is taken.
    expect((await api.upload(someText(10_000))).status).toBe(201);

    // Filling it up with keyed uploads: every answer tells the truth. A 201 is readable; a
    // 507 stored nothing (no bytes without metadata either) and left nothing in tmp/.
    for (const size of [300_000, 200_000, 100_000, 50_000, 20_000, 8_000, 3_000, 3_000, 1_000]) {
      const before = await filesIn(dir);
      const answer = await api.upload(someText(size), { key: crypto.randomUUID() });
      expect([201, 507]).toContain(answer.status);
      if (answer.status === 201) {
        expect((await api.get(`/uploads/${answer.body.id}/meta`)).status).toBe(200);
      } else {
        const after = await filesIn(dir);
        expect(after.filter((path) => path.startsWith('objects/'))).toEqual(
          before.filter((path) => path.startsWith('objects/')),
        );
        expect(await tempFiles(dir)).toEqual([]);
      }
    }
  });
});
