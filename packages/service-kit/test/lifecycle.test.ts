import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { type LogLine, type ServiceProcess, startServiceProcess } from '../src/testing.ts';

const entry = fileURLToPath(new URL('./fixtures/slow-service.ts', import.meta.url));
let service: ServiceProcess | undefined;

afterEach(() => {
  service?.child.kill('SIGKILL');
  service = undefined;
});

function run(env: Record<string, string>) {
  service = startServiceProcess(entry, env);
  return service;
}

async function start(env: Record<string, string>) {
  const started = run(env);
  const listening = await started.waitFor((line) => line.msg === 'listening');
  return { service: started, baseUrl: `http://127.0.0.1:${String(listening.port)}` };
}

const closings = (lines: LogLine[]) =>
  lines.filter((line) => line.msg === 'closed').map((line) => line.resource);

const fatal = (lines: LogLine[]) => lines.filter((line) => line.level === 60);

describe('graceful shutdown on SIGTERM', () => {
  test('an in-flight request completes, then the server and the resources close in reverse order and the process exits 0', async () => {
    const { service, baseUrl } = await start({ SLOW_MS: '1500' });

    const inFlight = fetch(`${baseUrl}/slow`);
    await service.waitFor((line) => line.msg === 'slow request started');
    service.child.kill('SIGTERM');

    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ finished: true });
    expect(await service.exited).toBe(0);
    // The server first, though it was registered after the first two resources and before
    // the last one: no handler may use a client that has closed.
    expect(closings(service.lines)).toEqual([
      'http server',
      'late resource',
      'second resource',
      'first resource',
    ]);
  });

  test('during the drain delay the listener still answers, and readiness says no', async () => {
    // A delay far longer than the test: the window cannot close before the check, however busy the machine.
    const { service, baseUrl } = await start({
      SHUTDOWN_DELAY_MS: '20000',
      SHUTDOWN_TIMEOUT_MS: '30000',
    });
    service.child.kill('SIGTERM');
    await service.waitFor((line) => line.msg === 'shutting down');

    const ready = await fetch(`${baseUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'shutting down', checks: {} });
    expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200);
  });

  test('a keep-alive connection whose request was in flight is closed once answered, not kept for the keep-alive timeout', async () => {
    // The fixture's keep-alive timeout is 10 minutes: waiting on it would time this test out.
    const { service, baseUrl } = await start({ SLOW_MS: '1000' });
    const inFlight = fetch(`${baseUrl}/slow`);
    await service.waitFor((line) => line.msg === 'slow request started');
    service.child.kill('SIGTERM');

    const response = await inFlight;
    expect(response.headers.get('connection')).toBe('close');
    await response.json();
    expect(await service.exited).toBe(0);
  });

  test('a connection whose response was already streaming closes as soon as the response ends', async () => {
    const { service, baseUrl } = await start({ SLOW_MS: '1000' });
    const response = await fetch(`${baseUrl}/stream`);
    await service.waitFor((line) => line.msg === 'stream started');
    service.child.kill('SIGTERM');

    expect(await response.text()).toBe('first part\nlast part\n');
    expect(await service.exited).toBe(0);
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

  test('when a closer throws, the others still close and the process exits 1', async () => {
    const { service } = await start({ FAILING_CLOSE: 'first' });
    service.child.kill('SIGTERM');

    expect(await service.exited).toBe(1);
    expect(closings(service.lines)).toEqual(['http server', 'late resource', 'second resource']);
    const failed = service.lines.find((line) => line.msg === 'close failed; closing the rest');
    expect(failed?.resource).toBe('first resource');
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

describe('start-up', () => {
  test('when an opening step throws, one fatal line names it, what was opened closes, and the process exits 1', async () => {
    const service = run({ FAIL_AT: 'connect' });

    expect(await service.exited).toBe(1);
    const [line, ...more] = fatal(service.lines);
    expect(more).toEqual([]);
    expect(line).toMatchObject({ step: 'connect', msg: 'start-up failed at connect' });
    expect(line?.err).toMatchObject({ message: 'connection refused' });
    expect(closings(service.lines)).toEqual(['second resource', 'first resource']);
    expect(service.lines.some((l) => l.msg === 'listening')).toBe(false);
    expect(service.stderr()).toBe('');
  });

  test('when the port is taken, one fatal line names the port and the variable, with no stack trace', async () => {
    const holder = createServer().listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const { port } = holder.address() as { port: number };
    try {
      const service = run({ PORT: String(port) });
      expect(await service.exited).toBe(1);
      const [line, ...more] = fatal(service.lines);
      expect(more).toEqual([]);
      expect(line?.msg).toBe(
        `port ${port} on 127.0.0.1 is in use: stop what holds it, or set PORT to another port`,
      );
      expect(line?.err).toBeUndefined();
      expect(service.stderr()).toBe('');
    } finally {
      holder.close();
    }
  });

  test('when a variable is malformed, one fatal line names it and the process exits 1', async () => {
    const service = run({ SLOW_MS: 'soon' });

    expect(await service.exited).toBe(1);
    const [line, ...more] = fatal(service.lines);
    expect(more).toEqual([]);
    expect(line?.msg).toContain('SLOW_MS');
    expect(line?.problems).toEqual([expect.stringContaining('SLOW_MS: expected an integer')]);
    expect(service.stderr()).toBe('');
  });
});

describe('process-level errors', () => {
  test("a client's 'error' event is logged and the process keeps serving", async () => {
    const { service, baseUrl } = await start({});
    const emitted = await fetch(`${baseUrl}/emit-error`, { method: 'POST' });
    expect(emitted.status).toBe(200);

    const logged = await service.waitFor((line) => line.msg === 'dependency reported an error');
    expect(logged.resource).toBe('second resource');
    expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200);
    expect(service.child.exitCode).toBeNull();
  });

  test('an uncaught exception logs one fatal line and shuts down gracefully with 1', async () => {
    const { service, baseUrl } = await start({});
    await fetch(`${baseUrl}/throw-later`, { method: 'POST' });

    expect(await service.exited).toBe(1);
    expect(fatal(service.lines)).toEqual([
      expect.objectContaining({ msg: 'uncaught exception; shutting down' }),
    ]);
    expect(closings(service.lines)).toEqual([
      'http server',
      'late resource',
      'second resource',
      'first resource',
    ]);
  });
});
