import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { type ServiceProcess, startProcess } from './process.ts';

const entry = fileURLToPath(new URL('./fixtures/slow-service.ts', import.meta.url));
let service: ServiceProcess | undefined;

afterEach(() => {
  service?.child.kill('SIGKILL');
  service = undefined;
});

async function start(env: Record<string, string>) {
  service = startProcess(entry, env);
  const listening = await service.waitFor((line) => line.msg === 'listening');
  return { service, baseUrl: `http://127.0.0.1:${String(listening.port)}` };
}

describe('graceful shutdown on SIGTERM', () => {
  test('an in-flight request completes, then resources close in reverse order and the process exits 0', async () => {
    const { service, baseUrl } = await start({ SLOW_MS: '1500', SHUTDOWN_DELAY_MS: '500' });

    const inFlight = fetch(`${baseUrl}/slow`);
    await service.waitFor((line) => line.msg === 'slow request started');
    service.child.kill('SIGTERM');
    await service.waitFor((line) => line.msg === 'shutting down');

    // During the drain delay the listener is still open, and readiness already says no.
    const ready = await fetch(`${baseUrl}/readyz`);
    expect(ready.status).toBe(503);

    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ finished: true });
    expect(await service.exited).toBe(0);

    const order = service.lines
      .map((line) => line.msg)
      .filter((msg) => msg?.startsWith('closing') || msg === 'shutdown complete');
    expect(order).toEqual([
      'closing second resource',
      'closing first resource',
      'shutdown complete',
    ]);
  });

  test('after the listener closes, new connections are refused', async () => {
    const { service, baseUrl } = await start({ SLOW_MS: '1500' });
    const inFlight = fetch(`${baseUrl}/slow`);
    await service.waitFor((line) => line.msg === 'slow request started');
    service.child.kill('SIGTERM');
    await service.waitFor((line) => line.msg === 'shutting down');

    await expect(fetch(`${baseUrl}/healthz`)).rejects.toThrow();
    expect((await inFlight).status).toBe(200);
    expect(await service.exited).toBe(0);
  });

  test('when draining outlasts the shutdown timeout, the process exits 1', async () => {
    const { service, baseUrl } = await start({ SLOW_MS: '5000', SHUTDOWN_TIMEOUT_MS: '300' });
    const inFlight = fetch(`${baseUrl}/slow`).catch((error: unknown) => error);
    await service.waitFor((line) => line.msg === 'slow request started');
    service.child.kill('SIGTERM');

    expect(await service.exited).toBe(1);
    expect(service.lines.some((line) => line.msg === 'shutdown took too long; exiting')).toBe(true);
    await inFlight;
  });
});
