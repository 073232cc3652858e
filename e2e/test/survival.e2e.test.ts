// The survival matrix: for each quadrant, each fault this target supports — one replica killed,
// every replica killed, a rollout, the store restarted — with the shop's load generator running
// through the one origin the whole time; each cell observed is asserted against the table in
// src/survival.ts, and the table observed is printed at the end (and written to
// .test-results/survival-<target>.md). Each cell writes its own data first, so none depends on
// another's order.
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, type TestContext, test } from 'vitest';
import { s3ClientConfig } from '../../scripts/embedded-s3.ts';
import type { Summary } from '../../scripts/load-stats.ts';
import { shopSeeded } from '../src/shop.ts';
import {
  type Cell,
  FAULTS,
  type Fault,
  SURVIVAL,
  type SurvivalRow,
  survivalTable,
} from '../src/survival.ts';
import { type Driver, selectTarget } from '../src/targets/index.ts';
import { until } from '../src/wait.ts';

const target = inject('target');
const driver: Driver = selectTarget().driver(inject('targetState'));
const root = new URL('../../', import.meta.url);
const observed = new Map<string, Partial<Record<Fault, Cell | string>>>();
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function call(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
}
async function json<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await call(url, init);
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
const post = (body: unknown, key = randomUUID()): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', 'idempotency-key': key },
  body: JSON.stringify(body),
});

/** What a row writes before the fault, and how it tells, afterwards, whether that survived. */
interface Probe {
  write(url: string): Promise<{ during?: () => Promise<void>; check(url: string): Promise<Cell> }>;
}

const probes: Record<SurvivalRow['service'], Probe> = {
  transactions: {
    async write(url) {
      const open = (owner: string) =>
        json<{ id: string }>(
          `${url}/accounts`,
          post({ owner, currency: 'EUR', openingBalance: 10_000 }),
        );
      const [from, to] = [await open('survival from'), await open('survival to')];
      const made: string[] = [];
      for (let amount = 1; amount <= 5; amount++) {
        made.push(
          (
            await json<{ id: string }>(
              `${url}/transfers`,
              post({ fromAccountId: from.id, toAccountId: to.id, amount }),
            )
          ).id,
        );
      }
      // One more, sent as the fault begins and retried with the same key until it is answered.
      const key = randomUUID();
      const body = { fromAccountId: from.id, toAccountId: to.id, amount: 100 };
      let retried: string | undefined;
      let sendTo = url;
      return {
        async during() {
          retried = await until(
            'the retried transfer',
            async () => {
              const res = await call(`${sendTo}/transfers`, post(body, key)).catch(
                async (error) => {
                  // Sent to a replica that is gone: ask the balancer again (once it has them all).
                  sendTo = await driver.balancedUrl('transactions');
                  throw error;
                },
              );
              if (res.status === 201) return ((await res.json()) as { id: string }).id;
              // Not yet: thrown, so that a timeout names the last answer.
              throw new Error(`POST /transfers answered ${res.status}: ${await res.text()}`);
            },
            { timeoutMs: 240_000, intervalMs: 500 },
          );
        },
        async check(after) {
          const page = await json<{ transfers: { id: string }[] }>(
            `${after}/transfers?accountId=${from.id}&limit=50`,
          );
          const ids = page.transfers.map((t) => t.id).sort();
          const a = await json<{ balance: number }>(`${after}/accounts/${from.id}`);
          const b = await json<{ balance: number }>(`${after}/accounts/${to.id}`);
          const exactlyOnce =
            JSON.stringify(ids) === JSON.stringify([...made, retried].sort()) &&
            a.balance === 10_000 - 115 &&
            a.balance + b.balance === 20_000;
          if (exactlyOnce) return 'kept';
          return ids.length === 0
            ? 'lost'
            : (`changed: ${ids.length} transfers, ${a.balance}+${b.balance}` as Cell);
        },
      };
    },
  },
  uploads: {
    async write(url) {
      // Text, which uploads accepts: 64 KiB of hex, unique to this cell.
      const files = [1, 2, 3].map(() => Buffer.from(randomBytes(32 * 1024).toString('hex')));
      for (const bytes of files) {
        const form = new FormData();
        form.append(
          'file',
          new Blob([new Uint8Array(bytes)], { type: 'text/plain' }),
          'survival.txt',
        );
        const res = await call(`${url}/uploads`, { method: 'POST', body: form });
        if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
      }
      return {
        async check(after) {
          let kept = 0;
          for (const bytes of files) {
            const res = await call(`${after}/uploads/${sha256(bytes)}`);
            if (res.ok && Buffer.from(await res.arrayBuffer()).equals(bytes)) kept++;
          }
          return kept === files.length ? 'kept' : kept === 0 ? 'lost' : (`${kept} of 3` as Cell);
        },
      };
    },
  },
  'static-site': {
    async write() {
      return {
        async check(after) {
          const access = await driver.objectStore('static-site');
          const s3 = new S3Client({ ...s3ClientConfig(access), maxAttempts: 3 });
          try {
            const object = await s3.send(
              new GetObjectCommand({ Bucket: access.bucket, Key: `${access.prefix}index.html` }),
            );
            const inBucket = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
            const served = await call(`${after}/index.html`, {
              headers: { 'accept-encoding': 'identity' },
            });
            if (!served.ok) return 'lost';
            return Buffer.from(await served.arrayBuffer()).equals(inBucket)
              ? 'kept'
              : ('differs' as Cell);
          } finally {
            s3.destroy();
          }
        },
      };
    },
  },
  geo: {
    async write(url) {
      const path = '/convert?from=latlon&lat=52.2297&lon=21.0122&to=mgrs,utm';
      const before = await json<unknown>(`${url}${path}`);
      return {
        async check(after) {
          const now = await json<unknown>(`${after}${path}`);
          return JSON.stringify(now) === JSON.stringify(before) ? 'kept' : ('differs' as Cell);
        },
      };
    },
  },
  basket: {
    async write(url) {
      const basket = await json<{ id: string }>(`${url}/baskets`, { method: 'POST' });
      await json(
        `${url}/baskets/${basket.id}/lines`,
        post({ sku: 'MUG-BLUE', quantity: 2, unitPrice: 1250, currency: 'EUR' }),
      );
      return {
        async check(after) {
          const res = await call(`${after}/baskets/${basket.id}`);
          if (res.status === 404) return 'lost';
          const body = (await res.json()) as { itemCount?: number };
          return res.ok && body.itemCount === 2 ? 'kept' : (`answered ${res.status}` as Cell);
        },
      };
    },
  },
};

/** Performs `fault` on `row`'s service; resolves once every replica is ready again. */
async function perform(row: SurvivalRow, fault: Fault): Promise<void> {
  const { service } = row;
  switch (fault) {
    case 'kill one replica': {
      const [replica] = await driver.waitForReplicas(service);
      if (!replica) throw new Error(`${service} has no replica`);
      await driver.killReplica(service, replica);
      break;
    }
    case 'kill every replica':
      for (const replica of await driver.waitForReplicas(service)) {
        await driver.killReplica(service, replica);
      }
      break;
    case 'roll out a new version':
      await driver.rolloutRestart(service);
      break;
    case 'restart the store':
      // A crash (SIGKILL), but for the persistent basket: a clean stop, on which Valkey flushes
      // its append-only file (everysec could otherwise lose the last second, by design).
      await driver.restartStore(service, { kill: row.variant !== 'persistent' });
      break;
  }
  await driver.waitForReplicas(service);
}

/** Why this cell cannot run here, if it cannot. */
function cannot(row: SurvivalRow, fault: Fault): string | undefined {
  const service = driver.unsupported(row.service, 'service');
  if (service) return service;
  if (fault === 'restart the store' || row.variant) return driver.unsupported(row.service, 'store');
  return undefined;
}

// The load generator through the one origin, for the whole file: what the demo runs while pods
// are killed. Its errors are counted and printed, not asserted: faults cause some by design.
let load: { stop(): Promise<string> } | undefined;
beforeAll(async () => {
  const origin = await driver.shopOrigin();
  await shopSeeded(origin, target);
  const child = spawn(
    process.execPath,
    [
      fileURLToPath(new URL('scripts/load.ts', root)),
      '--origin',
      origin,
      '--rate',
      '2',
      '--duration',
      '40m',
      '--every',
      '60s',
      '--json',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  load = {
    async stop() {
      child.kill('SIGINT');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
      child.kill('SIGKILL');
      return out.trim().split('\n').at(-1) ?? '';
    },
  };
});

afterAll(async () => {
  const summary = await load?.stop();
  let loadLine = '';
  try {
    const run = JSON.parse(summary ?? '') as Summary;
    const reasons = run.errorReasons.slice(0, 3).map((r) => `${r.reason} ×${r.count}`);
    loadLine =
      `\nUnder \`pnpm load --rate 2\` all along (${Math.round(run.seconds)} s): ${run.requests} requests, ` +
      `${run.errors} errors (${(run.errorRate * 100).toFixed(2)} %), ${run.journeys.completed} journeys ` +
      `completed, ${run.journeys.failed} failed${reasons.length > 0 ? `; most often ${reasons.join(', ')}` : ''}.`;
  } catch {
    loadLine = '\n(the load generator printed no summary)';
  }
  const table = survivalTable(target, observed);
  console.log(`\nsurvival matrix observed on ${target}:\n${table}${loadLine}\n`);
  const dir = fileURLToPath(new URL('.test-results/', root));
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}survival-${target}.md`, `${table}\n${loadLine}\n`);
  await driver.close();
});

describe(`the survival matrix on the ${target} target`, () => {
  for (const row of SURVIVAL) {
    describe(`${row.name} (quadrant ${row.quadrant}): ${row.keeps}`, () => {
      if (row.variant) {
        // Switched here and always switched back, so that no other test meets the variant.
        beforeAll(async () => {
          if (!driver.unsupported(row.service, 'store'))
            await driver.useStoreVariant(row.service, row.variant ?? 'base');
        });
        afterAll(async () => {
          if (!driver.unsupported(row.service, 'store'))
            await driver.useStoreVariant(row.service, 'base');
        });
      }
      for (const fault of FAULTS) {
        // A fault with no meaning for this quadrant is a cell of the table, not a test.
        if (row.expected[fault] === 'n/a') {
          observed.set(row.name, { ...observed.get(row.name), [fault]: 'n/a' });
          continue;
        }
        test(`${fault}: ${row.expected[fault]}`, async (context: TestContext) => {
          const reason = cannot(row, fault);
          if (reason) {
            observed.set(row.name, {
              ...observed.get(row.name),
              [fault]: 'not run',
            });
            if (process.env.CI === 'true') {
              throw new Error(`${reason} (under CI=true this fails)`);
            }
            return context.skip(reason);
          }
          // Through the load balancer, as users reach it: a dead replica leaves its rotation.
          const url = await driver.balancedUrl(row.service);
          const written = await probes[row.service].write(url);
          await Promise.all([perform(row, fault), written.during?.()]);
          const after = await driver.balancedUrl(row.service);
          // Ready is not yet reachable through every hop: a few tries before a verdict.
          const cell = await until(
            `${row.name} after "${fault}"`,
            async () => {
              const seen = await written.check(after);
              return seen === row.expected[fault] ? seen : undefined;
            },
            { timeoutMs: 30_000, intervalMs: 1_000 },
          ).catch(() => written.check(after));
          observed.set(row.name, { ...observed.get(row.name), [fault]: cell });
          expect(cell).toBe(row.expected[fault]);
        });
      }
    });
  }
});
