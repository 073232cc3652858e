import { afterEach, describe, expect, test } from 'vitest';
import { startKitApp, type TestApp } from './app.ts';

let app: TestApp | undefined;
afterEach(() => app?.close());

describe('GET /healthz and /readyz', () => {
  test('with every check passing, both answer 200', async () => {
    app = await startKitApp();
    app.health.addCheck('store', async () => {});
    expect((await fetch(`${app.baseUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${app.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { store: 'ok' } });
  });

  test('when a dependency fails or hangs, readiness answers 503 and liveness still 200', async () => {
    app = await startKitApp();
    app.health.addCheck('store', () => Promise.reject(new Error('connection refused')));
    app.health.addCheck('cache', () => new Promise(() => {}));
    const ready = await fetch(`${app.baseUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({
      status: 'not ready',
      checks: { store: 'failing', cache: 'failing' },
    });
    expect((await fetch(`${app.baseUrl}/healthz`)).status).toBe(200);
  });

  test('once shutting down, readiness answers 503 and responses ask to close the connection', async () => {
    app = await startKitApp();
    app.health.markShuttingDown();
    const ready = await fetch(`${app.baseUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get('connection')).toBe('close');
  });
});
