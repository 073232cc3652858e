// The dashboard's HTTP guard and input checks, over a board that records what it was asked:
// the driver and the faults are the e2e suite's (test/dashboard.e2e.test.ts drives them).
import type { AddressInfo } from 'node:net';
import { createHealth, createLogger, createMetrics } from '@quadrants/service-kit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDashboardApp } from '../src/app.ts';
import { type Board, Busy, UnknownFault } from '../src/board.ts';

const started: string[] = [];
let busy = false;
const board = {
  view: () => ({ rows: [{ name: 'geo', last: { state: 'running' } }] }),
  table: () => '| local |',
  subscribe: () => () => undefined,
  startFault(row: string, fault: string) {
    if (row === 'nowhere') throw new UnknownFault(`${row} has no fault "${fault}"`);
    if (busy) throw new Busy('"kill one replica" on basket is still running');
    started.push(`${row}: ${fault}`);
    return { done: Promise.resolve({}) };
  },
} as unknown as Board;

const stopping = new AbortController();
let base: string;
let server: import('node:http').Server;
beforeAll(async () => {
  const app = createDashboardApp({
    board,
    log: createLogger({ service: 'dashboard', level: 'silent' }),
    metrics: createMetrics({ service: 'dashboard' }),
    health: createHealth(),
    stopping: stopping.signal,
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  stopping.abort();
  await new Promise((resolve) => server.close(resolve));
});

const press = (
  headers: Record<string, string>,
  body: unknown = { row: 'geo', fault: 'kill every replica' },
) =>
  fetch(`${base}/api/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('POST /api/faults', () => {
  test('from the page itself (its own Origin), starts the fault and answers 202', async () => {
    const res = await press({ origin: base, 'sec-fetch-site': 'same-origin' });
    expect(res.status).toBe(202);
    expect(started.at(-1)).toBe('geo: kill every replica');
  });

  test('from another origin, answers 403 origin_not_allowed and starts nothing', async () => {
    const before = started.length;
    const res = await press({ origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await res.json()) as { code: string }).code).toBe('origin_not_allowed');
    expect(started.length).toBe(before);
  });

  test('sent cross-site without an Origin, answers 403', async () => {
    const res = await press({ 'sec-fetch-site': 'same-site' });
    expect(res.status).toBe(403);
  });

  test('as a form post (no JSON), answers 415 and starts nothing', async () => {
    const before = started.length;
    const res = await fetch(`${base}/api/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'row=geo&fault=kill+every+replica',
    });
    expect(res.status).toBe(415);
    expect(started.length).toBe(before);
  });

  test('for a fault the table does not have, answers 400 naming the field', async () => {
    const res = await press({}, { row: 'geo', fault: 'unplug the rack' });
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { errors: { field: string }[] };
    expect(problem.errors[0]?.field).toBe('(body).fault');
  });

  test('for a row the table does not have, answers 422 fault_not_available', async () => {
    const res = await press({}, { row: 'nowhere', fault: 'kill one replica' });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { code: string }).code).toBe('fault_not_available');
  });

  test('while another fault runs, answers 409 fault_running', async () => {
    busy = true;
    try {
      const res = await press({});
      expect(res.status).toBe(409);
      expect(((await res.json()) as { code: string }).code).toBe('fault_running');
    } finally {
      busy = false;
    }
  });
});

describe('every route', () => {
  test('under another Host (DNS rebinding), answers 403 host_not_allowed', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(
        `${base}/api/board`,
        { headers: { host: 'attacker.example:80' } },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  test('GET / serves the page, with a script of its own only', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<script type="module" src="/dashboard.js">');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
  });
});
