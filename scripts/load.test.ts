import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, onTestFinished, test } from 'vitest';
import { pickProducts, plan, randomPosition, serviceOf, traceparent } from './load-journey.ts';
import { parseLoadArgs, parseSeconds, UsageError } from './load-options.ts';
import {
  formatSummary,
  formatWindow,
  LoadStats,
  type ServiceName,
  type Summary,
  serviceNames,
} from './load-stats.ts';

const load = fileURLToPath(new URL('load.ts', import.meta.url));
const shopData = (name: string) =>
  readFileSync(new URL(`../apps/storefront/public/data/${name}`, import.meta.url), 'utf8');
const stores = (JSON.parse(shopData('stores.json')) as { stores: unknown[] }).stores;

// The generator's runs start a process and wait for it to finish, on a busy two-core runner.
const slow = 60_000;

describe('parseLoadArgs', () => {
  test('without flags, 5 journeys/s for 60 s against pnpm start’s gateway', () => {
    expect(parseLoadArgs([])).toEqual({
      origin: 'http://127.0.0.1:8080',
      rate: 5,
      durationSeconds: 60,
      concurrency: 50,
      everySeconds: 5,
      timeoutSeconds: 10,
      maxErrorRate: undefined,
      json: false,
      help: false,
    });
  });

  test('reads every flag, times with units and an error rate in percent', () => {
    const options = parseLoadArgs([
      '--origin=http://127.0.0.1:18080/',
      '--rate',
      '0.5',
      '--duration',
      '2m',
      '--concurrency',
      '500',
      '--every',
      '1500ms',
      '--timeout',
      '3',
      '--max-error-rate',
      '2.5%',
      '--json',
    ]);
    expect(options).toMatchObject({
      origin: 'http://127.0.0.1:18080',
      rate: 0.5,
      durationSeconds: 120,
      concurrency: 500,
      everySeconds: 1.5,
      timeoutSeconds: 3,
      maxErrorRate: 0.025,
      json: true,
    });
  });

  test.each([
    [['--rate', '201'], '--rate must be a number from 0.01 to 200; got "201"'],
    [['--rate', 'fast'], '--rate must be a number'],
    [['--duration', '2h'], '--duration must be a time from 1 s to 3600 s'],
    [['--duration', '0'], '--duration must be a time from 1 s to 3600 s'],
    [['--concurrency', '501'], '--concurrency must be a whole number from 1 to 500'],
    [['--concurrency', '2.5'], '--concurrency must be a whole number'],
    [['--every', '0.5s'], '--every must be a time from 1 s'],
    [['--timeout', '61'], '--timeout must be a time from 0.1 s to 60 s'],
    [['--max-error-rate', '2'], '--max-error-rate must be from 0 to 1'],
    [['--origin', 'ftp://x'], '--origin must be an http: or https: URL'],
    [['--origin', 'localhost 8080'], '--origin must be a URL'],
    [['--rat', '5'], "Unknown option '--rat'"],
    [['5'], 'Unexpected argument'],
    [['--rate'], "Option '--rate <value>' argument missing"],
  ])('refuses %j: %s', (args, message) => {
    expect(() => parseLoadArgs(args)).toThrow(UsageError);
    expect(() => parseLoadArgs(args)).toThrow(message);
  });

  test('parseSeconds takes bare seconds, ms, s, m and h, and nothing else', () => {
    expect([parseSeconds('90'), parseSeconds('250ms'), parseSeconds('1.5m')]).toEqual([
      90, 0.25, 90,
    ]);
    expect(parseSeconds('1h')).toBe(3600);
    expect([parseSeconds('-1'), parseSeconds('5 min'), parseSeconds('')]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('LoadStats', () => {
  test('a window counts its own requests per second, errors and percentiles, then starts afresh', () => {
    const stats = new LoadStats('http://origin', 1000);
    for (let ms = 1; ms <= 100; ms++) stats.request('geo', 'ok', ms);
    stats.request('geo', 'error', 5000, 'GET /api/geo/geodesic/inverse: 503');
    stats.request('transactions', 'declined', 4);
    stats.request('basket', 'cancelled');
    stats.journey('started');
    stats.journey('completed');

    const first = stats.window(3000, 2);
    expect(first).toMatchObject({ fromSeconds: 0, toSeconds: 2, inFlight: 2 });
    expect(first.journeys).toMatchObject({ started: 1, completed: 1 });
    expect(first.services.geo).toMatchObject({ requests: 101, rps: 50.5, errors: 1 });
    expect(first.services.geo.p50Ms).toBeCloseTo(51, 0);
    expect(first.services.geo.p99Ms).toBeCloseTo(100, 0);
    expect(first.services.transactions).toMatchObject({ requests: 1, errors: 0 });
    // A cancelled request is neither timed nor counted.
    expect(first.services.basket).toEqual({
      requests: 0,
      rps: 0,
      errors: 0,
      p50Ms: null,
      p99Ms: null,
    });

    stats.request('geo', 'ok', 7);
    const second = stats.window(4000, 0);
    expect(second).toMatchObject({ fromSeconds: 2, toSeconds: 3 });
    expect(second.services.geo).toMatchObject({ requests: 1, rps: 1, errors: 0 });
    expect(second.services.geo.p99Ms).toBeCloseTo(7, 1);
    expect(second.journeys.started).toBe(0);
  });

  test('the summary covers the whole run, with declined payments apart from errors', () => {
    const stats = new LoadStats('http://origin', 0);
    stats.request('static-site', 'ok', 2);
    stats.request('static-site', 'error', 3, 'GET /shop/: ECONNREFUSED');
    stats.request('uploads', 'error', 3, 'POST /api/uploads/uploads: 415 type_mismatch');
    stats.request('static-site', 'error', 3, 'GET /shop/: ECONNREFUSED');
    stats.window(1000, 0);
    stats.request('transactions', 'declined', 9);
    stats.payment('declined');
    stats.payment('paid');
    stats.journey('failed');

    const summary = stats.summary(4000);
    expect(summary).toMatchObject({
      origin: 'http://origin',
      seconds: 4,
      requests: 5,
      errors: 3,
      errorRate: 0.6,
      payments: { paid: 1, declined: 1 },
      journeys: { failed: 1, started: 0 },
      errorReasons: [
        { reason: 'GET /shop/: ECONNREFUSED', count: 2 },
        { reason: 'POST /api/uploads/uploads: 415 type_mismatch', count: 1 },
      ],
    });
    expect(summary.services['static-site']).toMatchObject({ requests: 3, rps: 0.75, errors: 2 });
    expect(summary.services.transactions.errors).toBe(0);
  });

  test('a window prints one line per service; the summary one row per service and the totals', () => {
    const stats = new LoadStats('http://origin', 0);
    stats.request('basket', 'ok', 1.25);
    const window = formatWindow(stats.window(5000, 3));
    const lines = window.split('\n');
    expect(lines[0]).toBe('0–5 s: 0 journeys started, 0 completed, 0 failed, 3 in flight');
    expect(lines.slice(1).map((line) => line.trim().split(/\s+/)[0])).toEqual([...serviceNames]);
    expect(window).toMatch(/basket\s+0\.2 req\/s\s+0 errors\s+p50\s+1\.3 ms\s+p99\s+1\.3 ms/);
    expect(window).toMatch(/geo\s+0\.0 req\/s\s+0 errors\s+p50\s+– ms/);

    const text = formatSummary(stats.summary(5000), 50);
    expect(text).toMatch(/^service\s+requests\s+req\/s\s+errors\s+p50 ms\s+p99 ms$/m);
    expect(text).toMatch(/^basket\s+1\s+0\.2\s+0\s+1\.3\s+1\.3$/m);
    expect(text).toContain('skipped (at --concurrency 50)');
    expect(text).toContain('payments: 0 paid, 0 declined');
  });
});

describe('the journey’s requests', () => {
  test('each path goes to the service the one origin routes it to', () => {
    expect(serviceOf('/shop/')).toBe('static-site');
    expect(serviceOf('/shop/data/catalog.json')).toBe('static-site');
    expect(serviceOf('/api/geo/geodesic/inverse?lat1=1')).toBe('geo');
    expect(serviceOf('/api/basket/baskets')).toBe('basket');
    expect(serviceOf('/api/transactions/transfers')).toBe('transactions');
    expect(serviceOf('/api/uploads/uploads')).toBe('uploads');
  });

  test('a distance asks geo for the inverse problem from the shopper to the store', () => {
    const request = plan.distance({ lat: 52.1, lon: -1.5 }, { lat: 48.8443, lon: 2.3744 });
    expect(request).toMatchObject({ service: 'geo', method: 'GET', expect: [200] });
    const url = new URL(request.path, 'http://x');
    expect(url.pathname).toBe('/api/geo/geodesic/inverse');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      lat1: '52.1',
      lon1: '-1.5',
      lat2: '48.8443',
      lon2: '2.3744',
    });
  });

  test('a line is the product’s sku and price, one of it, in the shop’s currency', () => {
    const line = plan.addLine('b/1', { sku: 'MUG-BLUE', priceMinor: 1250, image: '' }, 'EUR');
    expect(line).toMatchObject({ method: 'POST', path: '/api/basket/baskets/b%2F1/lines' });
    expect(JSON.parse(String(line.body))).toEqual({
      sku: 'MUG-BLUE',
      quantity: 1,
      unitPrice: 1250,
      currency: 'EUR',
    });
  });

  test('a payment has a fresh Idempotency-Key, and only insufficient funds declines it', () => {
    const payment = { from: 'a', to: 'b', amount: 950, basketId: 'k' };
    const [one, two] = [plan.pay(payment), plan.pay(payment)];
    expect(JSON.parse(String(one.body))).toEqual({
      fromAccountId: 'a',
      toAccountId: 'b',
      amount: 950,
      reference: 'order k',
    });
    expect(one.headers?.['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(one.headers?.['idempotency-key']).not.toBe(two.headers?.['idempotency-key']);
    expect(one.declines?.(422, { code: 'insufficient_funds' })).toBe(true);
    expect(one.declines?.(409, { code: 'insufficient_funds' })).toBe(true);
    expect(one.declines?.(422, { code: 'currency_mismatch' })).toBe(false);
    expect(one.declines?.(409, { code: 'idempotency_key_in_use' })).toBe(false);
  });

  test('a receipt is a small text file in the field `file`, with the order beside it', async () => {
    const receipt = plan.receipt('t-1', 'f'.repeat(32));
    expect(receipt.headers?.['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    const form = receipt.body as FormData;
    expect(form.get('order')).toBe('t-1');
    const file = form.get('file') as File;
    expect([file.name, file.type]).toEqual(['receipt.txt', 'text/plain']);
    expect(await file.text()).toContain('order: t-1');
  });

  test('a shopper picks one to three different products, and stands in Europe', () => {
    const products = ['a', 'b', 'c', 'd'];
    expect(pickProducts(products, () => 0)).toEqual(['a']);
    expect(pickProducts(products, () => 0.99)).toEqual(['d', 'c', 'b']);
    const sequence = [0.5, 0.5, 0.5];
    expect(pickProducts(products, () => sequence.shift() ?? 0)).toEqual(['c', 'b']);
    expect(randomPosition(() => 0)).toEqual({ lat: 37, lon: -9.5 });
    const far = randomPosition(() => 0.9999);
    expect(far.lat).toBeLessThan(63);
    expect(far.lon).toBeLessThan(37.5);
  });

  test('traceparent keeps the trace-id and makes a fresh parent-id each time', () => {
    const trace = 'a'.repeat(32);
    const [one, two] = [traceparent(trace), traceparent(trace)];
    expect(one).toMatch(/^00-a{32}-[0-9a-f]{16}-01$/);
    expect(one).not.toBe(two);
  });
});

/** What the stand-in origin saw. */
interface Seen {
  requests: Record<ServiceName, number>;
  traceIds: Set<string>;
  parentIds: Set<string>;
  badTraceparents: string[];
  basketsCreated: Set<string>;
  basketsDeleted: Set<string>;
  paid: number;
  declined: number;
  idempotencyKeys: Set<string>;
  receipts: number;
  problems: string[];
}

/**
 * A stand-in for the one origin, on 127.0.0.1:0: the shop's real catalog and stores, and each
 * service's answers as its README gives them. Edsger's payments are declined, as his 15.00
 * mostly are. `failAccounts` answers every account lookup 500.
 */
async function aStandInOrigin(options: { failAccounts?: boolean } = {}) {
  const seen: Seen = {
    requests: Object.fromEntries(serviceNames.map((name) => [name, 0])) as Seen['requests'],
    traceIds: new Set(),
    parentIds: new Set(),
    badTraceparents: [],
    basketsCreated: new Set(),
    basketsDeleted: new Set(),
    paid: 0,
    declined: 0,
    idempotencyKeys: new Set(),
    receipts: 0,
    problems: [],
  };
  const subtotals = new Map<string, number>();
  let next = 0;

  const json = (res: ServerResponse, status: number, body: unknown, type = 'application/json') =>
    res.writeHead(status, { 'content-type': type }).end(JSON.stringify(body));
  const problem = (res: ServerResponse, status: number, code: string) =>
    json(res, status, { status, title: 'refused', code }, 'application/problem+json');

  async function answer(req: IncomingMessage, res: ServerResponse, body: Buffer) {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const path = url.pathname;
    const route = `${req.method} ${path}`;
    const name = /^\/api\/([^/]+)/.exec(path)?.[1] ?? 'static-site';
    seen.requests[name as ServiceName] += 1;
    const trace = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(req.headers.traceparent));
    if (trace?.[1] && trace[2]) {
      seen.traceIds.add(trace[1]);
      seen.parentIds.add(trace[2]);
    } else seen.badTraceparents.push(route);

    if (route === 'GET /shop/')
      return res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html>');
    if (path.startsWith('/shop/data/')) return json(res, 200, JSON.parse(shopData(path.slice(11))));
    if (req.method === 'GET' && /^\/shop\/images\/[A-Z0-9-]+\.svg$/.test(path)) {
      return res.writeHead(200, { 'content-type': 'image/svg+xml' }).end('<svg/>');
    }
    if (route === 'GET /api/geo/geodesic/inverse') {
      const ok = ['lat1', 'lon1', 'lat2', 'lon2'].every((k) =>
        Number.isFinite(Number(url.searchParams.get(k))),
      );
      return ok
        ? json(res, 200, { distance: 1000, azimuth1: 1, azimuth2: 2 })
        : problem(res, 400, 'invalid');
    }
    if (route === 'POST /api/basket/baskets') {
      const id = `basket-${++next}`;
      seen.basketsCreated.add(id);
      subtotals.set(id, 0);
      return json(res, 201, { id, lines: [], subtotal: 0 });
    }
    const line = /^\/api\/basket\/baskets\/([^/]+)\/lines$/.exec(path)?.[1];
    if (req.method === 'POST' && line) {
      const { sku, quantity, unitPrice, currency } = JSON.parse(body.toString());
      if (
        typeof sku !== 'string' ||
        quantity !== 1 ||
        !Number.isInteger(unitPrice) ||
        currency !== 'EUR'
      ) {
        seen.problems.push(`bad line ${body}`);
        return problem(res, 400, 'invalid');
      }
      const subtotal = (subtotals.get(line) ?? 0) + unitPrice;
      subtotals.set(line, subtotal);
      return json(res, 200, { id: line, lines: [], subtotal });
    }
    const basket = /^\/api\/basket\/baskets\/([^/]+)$/.exec(path)?.[1];
    if (req.method === 'DELETE' && basket) {
      seen.basketsDeleted.add(basket);
      return res.writeHead(204).end();
    }
    if (route === 'GET /api/transactions/accounts') {
      if (options.failAccounts) return problem(res, 500, 'internal');
      const reference = url.searchParams.get('reference') ?? '';
      return json(res, 200, {
        accounts: [
          { id: `acct-${reference}`, owner: reference, currency: 'EUR', balance: 1500, reference },
        ],
      });
    }
    if (route === 'POST /api/transactions/transfers') {
      seen.idempotencyKeys.add(String(req.headers['idempotency-key']));
      const transfer = JSON.parse(body.toString());
      if (transfer.toAccountId !== 'acct-shop:till' || !(transfer.amount > 0)) {
        seen.problems.push(`bad transfer ${body}`);
      }
      if (transfer.fromAccountId === 'acct-shop:edsger') {
        seen.declined += 1;
        return problem(res, 422, 'insufficient_funds');
      }
      seen.paid += 1;
      return json(res, 201, { id: `transfer-${++next}`, ...transfer });
    }
    if (route === 'POST /api/uploads/uploads') {
      const type = String(req.headers['content-type']);
      const form = await new Response(body, { headers: { 'content-type': type } }).formData();
      const file = form.get('file');
      if (
        !(file instanceof File) ||
        !String(form.get('order')).startsWith('transfer-') ||
        !req.headers['idempotency-key']
      ) {
        seen.problems.push('bad upload');
      }
      seen.receipts += 1;
      return json(res, 201, { id: 'upload' });
    }
    seen.problems.push(`unknown ${route}`);
    return problem(res, 404, 'not_found');
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      answer(req, res, Buffer.concat(chunks)).catch((error: Error) => {
        seen.problems.push(error.message);
        problem(res, 500, 'stand-in');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, seen };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts load.ts with `args`; `child` to signal it, `done` when it has exited. */
function startLoad(args: string[]): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [load, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk));
  const done = new Promise<Run>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

const summaryOf = (run: Run) =>
  JSON.parse(run.stdout.trimEnd().split('\n').at(-1) ?? '') as Summary;

describe('pnpm load against a stand-in origin', () => {
  test(
    'runs whole journeys for 3 s and counts every request the origin saw, by service',
    async () => {
      const { origin, seen } = await aStandInOrigin();
      const run = await startLoad([
        '--origin',
        origin,
        '--rate',
        '8',
        '--duration',
        '3s',
        '--every',
        '1s',
        '--json',
      ]).done;
      expect(run.stderr).not.toMatch(/Error|at .*\.ts:/);
      expect(run.code).toBe(0);
      const summary = summaryOf(run);
      const { journeys } = summary;

      expect(seen.problems).toEqual([]);
      expect(journeys.started).toBeGreaterThan(0);
      expect(journeys).toMatchObject({
        failed: 0,
        cancelled: 0,
        skipped: 0,
        completed: journeys.started,
      });
      for (const name of serviceNames) {
        expect(summary.services[name], name).toMatchObject({
          requests: seen.requests[name],
          errors: 0,
        });
      }
      expect(summary.errors).toBe(0);
      // page, catalog, one image, stores; a distance per store; two look-ups and one payment.
      expect(summary.services['static-site'].requests).toBe(4 * journeys.completed);
      expect(summary.services.geo.requests).toBe(stores.length * journeys.completed);
      expect(summary.services.transactions.requests).toBe(3 * journeys.completed);
      expect(summary.payments).toEqual({ paid: seen.paid, declined: seen.declined });
      expect(seen.paid + seen.declined).toBe(journeys.completed);
      expect(seen.idempotencyKeys.size).toBe(journeys.completed);
      expect(summary.services.uploads.requests).toBe(seen.receipts);
      expect(seen.receipts).toBeLessThanOrEqual(seen.paid);
      // 1–3 lines per basket, and every basket deleted.
      const lines = summary.services.basket.requests - 2 * journeys.completed;
      expect(lines).toBeGreaterThanOrEqual(journeys.completed);
      expect(lines).toBeLessThanOrEqual(3 * journeys.completed);
      expect(seen.basketsDeleted).toEqual(seen.basketsCreated);
      // One trace per journey, a fresh parent per request.
      expect(seen.badTraceparents).toEqual([]);
      expect(seen.traceIds.size).toBe(journeys.started);
      expect(seen.parentIds.size).toBe(summary.requests);

      // A window line per service each second, then the table.
      expect(run.stdout).toMatch(/^0–1 s: \d+ journeys started/m);
      expect(run.stdout).toMatch(
        /^ {2}transactions +\d+\.\d req\/s +0 errors +p50 +\d+\.\d ms +p99 +\d+\.\d ms$/m,
      );
      expect(run.stdout).toMatch(/^summary: \d+\.\d s against http:\/\/127\.0\.0\.1:\d+$/m);
      expect(run.stdout).toMatch(/^geo +\d+ +\d+\.\d +0 +\d+\.\d +\d+\.\d$/m);
    },
    slow,
  );

  test(
    'counts a failing service’s answers as errors, deletes the baskets, and exits 1 over --max-error-rate',
    async () => {
      const { origin, seen } = await aStandInOrigin({ failAccounts: true });
      const run = await startLoad([
        '--origin',
        origin,
        '--rate',
        '5',
        '--duration',
        '2s',
        '--max-error-rate',
        '1%',
        '--json',
      ]).done;
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/error rate \d+\.\d\d % is above --max-error-rate 1\.00 %/);
      const summary = summaryOf(run);
      expect(summary.journeys).toMatchObject({ completed: 0, failed: summary.journeys.started });
      // Each journey stops at its first failed look-up.
      expect(summary.services.transactions).toMatchObject({
        requests: summary.journeys.started,
        errors: summary.journeys.started,
      });
      expect(summary.errorReasons).toEqual([
        {
          reason: 'GET /api/transactions/accounts?reference=: 500 internal',
          count: summary.errors,
        },
      ]);
      expect(summary.services.basket.errors).toBe(0);
      expect(seen.basketsDeleted).toEqual(seen.basketsCreated);
      expect(seen.basketsCreated.size).toBe(summary.journeys.started);
    },
    slow,
  );

  test(
    'Ctrl-C stops a long run early and still prints the summary, exit 0',
    async () => {
      const { origin } = await aStandInOrigin();
      const { child, done } = startLoad([
        '--origin',
        origin,
        '--rate',
        '5',
        '--duration',
        '10m',
        '--every',
        '1s',
        '--json',
      ]);
      // After the first window, so that there is something to sum up.
      const firstWindow = new Promise<void>((resolve) => {
        child.stdout?.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('journeys started')) resolve();
        });
      });
      await Promise.race([firstWindow, done]);
      expect(child.exitCode).toBeNull();
      child.kill('SIGINT');
      const run = await done;
      expect(run.code).toBe(0);
      expect(run.stderr).toContain('SIGINT: stopping');
      const summary = summaryOf(run);
      expect(summary.seconds).toBeLessThan(600);
      expect(summary.journeys.started).toBeGreaterThan(0);
      expect(summary.errors).toBe(0);
      expect(run.stdout).toMatch(/^journeys: \d+ started/m);
    },
    slow,
  );
});

describe('pnpm load usage', () => {
  test(
    'a bad flag exits 2 with the reason and the usage, before any request',
    () => {
      const run = spawnSync(process.execPath, [load, '--rate', '1000'], { encoding: 'utf8' });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain('load: --rate must be a number from 0.01 to 200; got "1000"');
      expect(run.stderr).toContain('usage: pnpm load');
      expect(run.stdout).toBe('');
    },
    slow,
  );

  test(
    'an unknown flag exits 2 too; --help prints the usage and exits 0',
    () => {
      const unknown = spawnSync(process.execPath, [load, '--durtion', '5s'], { encoding: 'utf8' });
      expect(unknown.status).toBe(2);
      expect(unknown.stderr).toContain("Unknown option '--durtion'");
      const help = spawnSync(process.execPath, [load, '--help'], { encoding: 'utf8' });
      expect(help.status).toBe(0);
      expect(help.stdout).toContain('--max-error-rate');
    },
    slow,
  );
});
