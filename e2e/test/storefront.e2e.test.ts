// The shop in a real browser (Debian's chromium through playwright-core; never a downloaded
// browser): one shopper's journey through all five quadrants on the target's one origin —
// the catalog from static-site, the nearest pick-up point from geo, the basket kept across a
// reload, a double-clicked "pay" that charges once, a receipt on uploads — and one trace-id
// on every answer. Screenshots of the main screens go to .test-results/screenshots/, and to
// docs/screenshots/ (the README's) with UPDATE_SCREENSHOTS=1.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { shop, shopSeeded } from '../src/shop.ts';
import { type Driver, selectTarget } from '../src/targets/index.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = new URL('../../', import.meta.url);
const shots = fileURLToPath(new URL('.test-results/screenshots/', root));
const readmeShots = fileURLToPath(new URL('docs/screenshots/', root));
/** axe-core, the accessibility engine, run inside the page. */
const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** The page's WCAG 2.1 A and AA violations (contrast, labels, names, roles), as axe finds them. */
async function accessibilityViolations(page: Page): Promise<string[]> {
  // Evaluated by the browser's debugger protocol, which the page's CSP (script-src 'self')
  // rightly does not let a <script> tag do.
  await page.evaluate(axeSource);
  // A string, run in the page: this file is compiled without the DOM's types.
  const violations = (await page.evaluate(`axe
    .run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
    .then((result) => result.violations)`)) as AxeViolation[];
  return violations.map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}

interface Account {
  id: string;
  balance: number;
  reference: string;
}
interface Transfer {
  id: string;
  fromAccountId: string;
  toAccountId: string;
  amount: number;
}

let driver: Driver;
let origin: string;
let browser: Browser;

const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
  const res = await fetch(`${origin}${path}`, { ...init, signal: AbortSignal.timeout(15_000) });
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
};
const account = async (reference: string) =>
  (await api<{ accounts: Account[] }>(`/api/transactions/accounts?reference=${reference}`))
    .accounts[0];

async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(shots, { recursive: true });
  const file = `${shots}${name}.png`;
  await page.screenshot({ path: file, fullPage: true });
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    await mkdir(readmeShots, { recursive: true });
    await copyFile(file, `${readmeShots}${name}.png`);
  }
}

beforeAll(async () => {
  driver = selectTarget().driver(inject('targetState'));
  origin = await driver.shopOrigin();
  await shopSeeded(origin, inject('target'));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-background-networking'],
    timeout: 120_000,
  });
});
afterAll(async () => {
  await browser?.close();
  await driver?.close();
});

describe(`the shop in a browser on the ${inject('target')} target`, () => {
  test('one journey: catalog, nearest store, basket across a reload, a double-clicked pay that charges once, a receipt', async () => {
    // Grace's balance covers two of anything the shop sells (and she is no other test's).
    const shopper = shop.shoppers.find((s) => s.reference === 'shop:grace');
    if (!shopper) throw new Error('no shop:grace in the seed');
    const payer = await account(shopper.reference);
    const till = await account(shop.shop.reference);
    if (!payer || !till) throw new Error('the seed made no accounts');

    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    const traceIds = new Set<string>();
    const failures: string[] = [];
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (!url.pathname.startsWith('/api/')) return;
      const traceId = response.headers().traceparent?.split('-')[1];
      if (traceId) traceIds.add(traceId);
      if (response.status() >= 500) failures.push(`${response.status()} ${url.pathname}`);
    });
    page.on('pageerror', (error) => failures.push(`page error: ${error.message}`));

    await page.goto(`${origin}/shop/`);
    // B′: the catalog, from the bucket through static-site
    await expect.poll(() => page.getByTestId('catalog').locator('li').count()).toBeGreaterThan(3);
    // A: the shopper's balance
    await page.getByTestId('shopper').selectOption(shopper.reference);
    await expect.poll(() => page.getByTestId('balance').textContent()).toMatch(/\d/);
    // C: the nearest pick-up point to an MGRS reference in Warsaw
    await page.getByTestId('mgrs').fill('34UDC9526987075');
    await page.getByTestId('mgrs-submit').click();
    await expect.poll(() => page.getByTestId('nearest').textContent()).toMatch(/Warsaw/);
    await screenshot(page, 'shop-catalog');

    // D: two products in the basket, and the basket again after a reload
    const adds = page.locator('[data-testid^="add-"]');
    await adds.nth(0).click();
    await expect.poll(() => page.locator('[data-testid^="line-"]').count()).toBe(1);
    await adds.nth(1).click();
    await expect.poll(() => page.locator('[data-testid^="line-"]').count()).toBe(2);
    const total = await page.getByTestId('basket-total').textContent();
    await page.reload();
    await expect.poll(() => page.locator('[data-testid^="line-"]').count()).toBe(2);
    expect(await page.getByTestId('basket-total').textContent()).toBe(total);
    await screenshot(page, 'shop-basket');

    // A: pay, double-clicked — one transfer, one debit. Other tests (the survival matrix's load
    // generator) may have spent Grace's balance and paid from her account: the test tops her up
    // from an account of its own, and counts only the transfers that are new.
    const funding = await api<{ id: string }>('/api/transactions/accounts', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ owner: 'storefront test', currency: 'EUR', openingBalance: 100_000 }),
    });
    await api('/api/transactions/transfers', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ fromAccountId: funding.id, toAccountId: payer.id, amount: 100_000 }),
    });
    const paidBefore = new Set(
      (
        await api<{ transfers: Transfer[] }>(
          `/api/transactions/transfers?accountId=${payer.id}&limit=200`,
        )
      ).transfers.map((t) => t.id),
    );
    const balanceBefore = (await account(shopper.reference))?.balance ?? Number.NaN;
    await page.getByTestId('shopper').selectOption(shopper.reference);
    await page.getByTestId('pay').dblclick();
    await expect.poll(() => page.getByTestId('confirmation').isVisible()).toBe(true);
    await expect
      .poll(() => page.getByTestId('transfer-id').textContent())
      .toMatch(/^[0-9a-f-]{36}$/);
    const transferId = (await page.getByTestId('transfer-id').textContent()) ?? '';
    const transfers = await api<{ transfers: Transfer[] }>(
      `/api/transactions/transfers?accountId=${payer.id}&limit=200`,
    );
    const mine = transfers.transfers.filter((t) => !paidBefore.has(t.id));
    expect(mine.map((t) => [t.id, t.toAccountId])).toEqual([[transferId, till.id]]);
    const after = await account(shopper.reference);
    expect(after?.balance).toBe(balanceBefore - (mine[0]?.amount ?? Number.NaN));

    // B: a receipt on uploads
    await page.getByTestId('receipt-file').setInputFiles({
      name: 'receipt.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from(`receipt for ${transferId}\n`),
    });
    await page.getByTestId('receipt-upload').click();
    await expect.poll(() => page.getByTestId('receipt-result').textContent()).toMatch(/Stored as/);
    await screenshot(page, 'shop-confirmation');

    // One trace: the order's trace-id is the one every service answered the journey with.
    const orderTrace = await page.getByTestId('order-trace-id').textContent();
    expect(orderTrace).toMatch(/^[0-9a-f]{32}$/);
    expect(traceIds.has(orderTrace ?? '')).toBe(true);
    expect(failures).toEqual([]);
    await context.close();
  });

  test('on a phone, by keyboard alone, with no WCAG 2.1 AA violation that axe finds', async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    await page.goto(`${origin}/shop/`);
    await expect.poll(() => page.getByTestId('catalog').locator('li').count()).toBeGreaterThan(3);
    await expect.poll(() => page.getByTestId('balance').textContent()).toMatch(/\d/);
    // Nothing wider than the screen: no sideways scrolling on a phone.
    const overflow = (await page.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    )) as number;
    expect(overflow).toBeLessThanOrEqual(0);
    // The keyboard reaches the first "Add to basket" and Enter adds the product.
    const add = page.locator('[data-testid^="add-"]').first();
    let reached = false;
    for (let i = 0; i < 30 && !reached; i++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate("document.activeElement?.getAttribute('data-testid')");
      reached = focused === (await add.getAttribute('data-testid'));
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('[data-testid^="line-"]').count()).toBe(1);
    await screenshot(page, 'shop-phone');
    expect(await accessibilityViolations(page)).toEqual([]);
    await context.close();
  });

  test('a basket is the same in a new tab of the same browser', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    await page.goto(`${origin}/shop/`);
    await page.locator('[data-testid^="add-"]').first().click();
    await expect.poll(() => page.locator('[data-testid^="line-"]').count()).toBe(1);
    const other = await context.newPage();
    await other.goto(`${origin}/shop/`);
    await expect.poll(() => other.locator('[data-testid^="line-"]').count()).toBe(1);
    await context.close();
  });
});
