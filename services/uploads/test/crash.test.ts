/**
 * Crash safety, with uploads as a real process (src/main.ts): a client that goes away
 * mid-upload leaves no trace; a process killed with SIGKILL mid-upload leaves only a temporary
 * file, which the API never shows and the next start of the same instance sweeps.
 */
import { readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  freeLoopbackPort,
  type ServiceProcess,
  startServiceProcess,
} from '@quadrants/service-kit/testing';
import { afterEach, describe, expect, test } from 'vitest';
import {
  eventually,
  filesIn,
  freshDir,
  sha256,
  slowUpload,
  someText,
  tempFiles,
  uploadsClient,
} from './uploads-app.ts';

const entry = new URL('../src/main.ts', import.meta.url).pathname;
const running: ServiceProcess[] = [];
const dirs: string[] = [];

async function started(dir: string, instance: string, env: Record<string, string> = {}) {
  const port = await freeLoopbackPort();
  const service = startServiceProcess(entry, {
    LOG_LEVEL: 'info',
    PORT: String(port),
    UPLOADS_DIR: dir,
    UPLOADS_INSTANCE: instance,
    ...env,
  });
  running.push(service);
  await service.waitFor((line) => String(line.msg).startsWith('listening'));
  return { service, base: `http://127.0.0.1:${port}` };
}

async function aDir() {
  const dir = await freshDir();
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const service of running.splice(0)) {
    if (service.child.exitCode === null && service.child.signalCode === null)
      service.child.kill('SIGKILL');
    await service.exited;
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('a client that disconnects mid-upload', () => {
  test('leaves no temporary file and no object, and the process keeps serving', async () => {
    const dir = await aDir();
    const { service, base } = await started(dir, 'a');
    const upload = await slowUpload(base, someText(2 * 1024 * 1024), { sendFirst: 512 * 1024 });
    await eventually(async () => (await tempFiles(dir)).length === 1, 'the upload is in tmp/');
    upload.abort();
    await eventually(async () => (await tempFiles(dir)).length === 0, 'tmp/ is empty again');
    expect((await filesIn(dir)).filter((path) => path.startsWith('objects/'))).toEqual([]);
    expect((await uploadsClient(base).upload(someText())).status).toBe(201);
    expect(service.child.exitCode).toBeNull();
  });
});

describe('a process killed with SIGKILL mid-upload', () => {
  test('leaves only a temporary file, never visible, swept when the same instance starts again', async () => {
    const dir = await aDir();
    const bytes = someText(2 * 1024 * 1024);
    const id = sha256(bytes);
    const first = await started(dir, 'a');
    const upload = await slowUpload(first.base, bytes, { sendFirst: 1024 * 1024 });
    await eventually(async () => (await tempFiles(dir)).length === 1, 'the upload is in tmp/');
    first.service.child.kill('SIGKILL');
    await first.service.exited;
    upload.abort();

    const [left] = await tempFiles(dir);
    expect(left).toMatch(/^tmp\/a\.[0-9a-f-]{36}\.part$/);
    expect((await filesIn(dir)).filter((path) => path.startsWith('objects/'))).toEqual([]);

    // Another replica on the same directory: the partial upload is not visible, and its
    // temporary file, fresh and not its own, is left alone (it could be in use).
    const other = await started(dir, 'b');
    expect((await uploadsClient(other.base).get(`/uploads/${id}`)).status).toBe(404);
    expect((await uploadsClient(other.base).get(`/uploads/${id}/meta`)).status).toBe(404);
    expect(await tempFiles(dir)).toEqual([left]);

    // The same instance again (a container restarted in place): it sweeps its own leftovers.
    const again = await started(dir, 'a');
    const opened = await again.service.waitFor((line) => line.msg === 'upload directory open');
    expect(opened).toMatchObject({ swept: { files: 1 } });
    expect(await tempFiles(dir)).toEqual([]);
    // Nothing of the partial upload was kept: the whole file is new content.
    expect((await uploadsClient(again.base).upload(bytes)).status).toBe(201);
  });

  test('an Idempotency-Key it held is free again once the instance restarts', async () => {
    const dir = await aDir();
    const key = crypto.randomUUID();
    const bytes = someText(1024 * 1024);
    const first = await started(dir, 'a');
    const upload = await slowUpload(first.base, bytes, { headers: { 'idempotency-key': key } });
    await eventually(async () => (await tempFiles(dir)).length === 1, 'the upload is in tmp/');
    first.service.child.kill('SIGKILL');
    await first.service.exited;
    upload.abort();

    const again = await started(dir, 'a');
    const answer = await uploadsClient(again.base).upload(bytes, { key });
    expect(answer.status).toBe(201);
  });

  test('another instance sweeps temporary files older than twice the request timeout', async () => {
    const dir = await aDir();
    await started(dir, 'a');
    const stale = join(dir, 'tmp', 'gone-pod.1b7e1c34-8d3f-4f5e-9a0e-3c1d2b4a5f60.part');
    const fresh = join(dir, 'tmp', 'live-pod.6c0f3a1e-2b4d-4e8f-9a7c-5d1e2f3a4b5c.part');
    await writeFile(stale, 'half an upload');
    await writeFile(fresh, 'half an upload');
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(stale, hourAgo, hourAgo);

    const other = await started(dir, 'b', { UPLOADS_REQUEST_TIMEOUT_MS: '60000' });
    await other.service.waitFor((line) => line.msg === 'upload directory open');
    expect(await readdir(join(dir, 'tmp'))).toEqual([
      'live-pod.6c0f3a1e-2b4d-4e8f-9a7c-5d1e2f3a4b5c.part',
    ]);
  });
});

describe('the uploads process', () => {
  test('without UPLOADS_DIR, exits 1 naming it', async () => {
    const service = startServiceProcess(entry, { UPLOADS_DIR: '' });
    running.push(service);
    expect(await service.exited).toBe(1);
    expect(JSON.stringify(service.lines)).toMatch(/UPLOADS_DIR/);
  });

  test('with UPLOADS_DIR on a file, exits 1 at opening the directory', async () => {
    const dir = await aDir();
    const file = join(dir, 'not-a-directory');
    await writeFile(file, '');
    const service = startServiceProcess(entry, {
      UPLOADS_DIR: file,
      PORT: String(await freeLoopbackPort()),
    });
    running.push(service);
    expect(await service.exited).toBe(1);
    expect(service.lines).toContainEqual(
      expect.objectContaining({ step: 'open the upload directory' }),
    );
  });

  test('serves, is ready, and exits 0 on SIGTERM', async () => {
    const dir = await aDir();
    const { service, base } = await started(dir, 'a');
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(service.stderr()).toBe('');
  });
});
