// The survival matrix: for each quadrant, each fault this target supports — one replica killed,
// every replica killed, a rollout, the store restarted — with the shop's load generator running
// through the one origin the whole time; each cell observed is asserted against the table in
// src/survival.ts, and the table observed is printed at the end (and written to
// .test-results/survival-<target>.md). Each cell writes its own data first, so none depends on
// another's order.
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, type TestContext, test } from 'vitest';
import type { Summary } from '../../scripts/load-stats.ts';
import { shopSeeded } from '../src/shop.ts';
import {
  type Cell,
  FAULTS,
  type Fault,
  performFault,
  SURVIVAL,
  type SurvivalRow,
  survivalTable,
} from '../src/survival.ts';
import { type Driver, selectTarget } from '../src/targets/index.ts';
import { verdict, writeWitness } from '../src/witness.ts';

const target = inject('target');
const driver: Driver = selectTarget().driver(inject('targetState'));
const root = new URL('../../', import.meta.url);
const observed = new Map<string, Partial<Record<Fault, Cell | string>>>();
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
          const witness = await writeWitness(row.service, url, driver);
          await Promise.all([performFault(driver, row, fault), witness.during?.()]);
          const after = await driver.balancedUrl(row.service);
          const { cell } = await verdict(witness, after, row.expected[fault]);
          observed.set(row.name, { ...observed.get(row.name), [fault]: cell });
          expect(cell).toBe(row.expected[fault]);
        });
      }
    });
  }
});
