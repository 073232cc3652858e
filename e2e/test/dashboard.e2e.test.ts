// The survival dashboard (apps/dashboard, `pnpm demo`) in a real browser over this target's
// driver: press "restart the store" on basket and watch the basket count fall to zero; press
// "kill one replica" on transactions and see every transfer still there. The page is driven
// by its buttons' accessible names, as a presenter with a keyboard or a mouse would.
import { fileURLToPath } from 'node:url';
import { createLogger } from '@quadrants/service-kit';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { type Dashboard, startDashboard } from '../../apps/dashboard/src/dashboard.ts';
import { shopSeeded } from '../src/shop.ts';
import { type Driver, selectTarget } from '../src/targets/index.ts';

const target = inject('target');
const driver: Driver = selectTarget().driver(inject('targetState'));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let dashboard: Dashboard;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  await shopSeeded(await driver.shopOrigin(), target);
  dashboard = await startDashboard({
    driver,
    target,
    log: createLogger({ service: 'dashboard', level: 'warn' }),
    port: 0,
    loadRate: 1,
    intervalMs: 1_000,
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-background-networking'],
    timeout: 120_000,
  });
  page = await browser.newPage();
  await page.goto(dashboard.url);
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await driver.close();
});

const cell = (name: string) => page.getByRole('region', { name, exact: true });
const figure = (name: string) => cell(name).locator('[data-figure]');
const last = (name: string) => cell(name).locator('[data-last]');

describe(`the survival dashboard on the ${target} target`, () => {
  test('restart the store on basket: the basket count goes to zero', async () => {
    // The board's witness: three baskets written as it started.
    await expect
      .poll(() => figure('basket').textContent(), { timeout: 60_000 })
      .toBe('3 of 3 baskets');
    await cell('basket').getByRole('button', { name: 'restart the store' }).click();
    await expect
      .poll(() => last('basket').textContent(), { timeout: 240_000, interval: 1_000 })
      .toMatch(/^restart the store: lost in /);
    expect(await figure('basket').textContent()).toBe('0 of 3 baskets');
  });

  test('kill one replica on transactions: every transfer still there', async () => {
    await expect
      .poll(() => figure('transactions').textContent(), { timeout: 60_000 })
      .toMatch(/^\d+ of \d+ transfers/);
    await cell('transactions').getByRole('button', { name: 'kill one replica' }).click();
    await expect
      .poll(() => last('transactions').textContent(), { timeout: 240_000, interval: 1_000 })
      .toMatch(/^kill one replica: kept in /);
    // Before and after: as many transfers as were written, the money all there.
    const text = (await figure('transactions').textContent()) ?? '';
    const [, kept, of] = /^(\d+) of (\d+) transfers, ([\d.]+) of \3 EUR$/.exec(text) ?? [];
    expect(kept, text).toBeDefined();
    expect(kept).toBe(of);
    // docs/demo.md's picture of the dashboard, when asked for (as the shop's screenshots are).
    if (process.env.UPDATE_SCREENSHOTS === '1') {
      await page.setViewportSize({ width: 1600, height: 1000 });
      await page.screenshot({
        path: fileURLToPath(new URL('../../docs/screenshots/dashboard.png', import.meta.url)),
        fullPage: true,
      });
    }
  });

  test('a request from another origin is refused, and the page keeps working', async () => {
    const res = await fetch(new URL('/api/faults', dashboard.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://evil.example' },
      body: JSON.stringify({ row: 'geo', fault: 'kill every replica' }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('origin_not_allowed');
    expect(dashboard.board.view().busy).toBeUndefined();
  });
});
