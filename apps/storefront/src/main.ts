import './style.css';
// The same file the transactions seed creates the accounts from.
import accounts from '../../../services/transactions/seed/shop-accounts.json';
import { call, HttpError, json } from './api.ts';
import {
  checkoutKey,
  describeError,
  endJourney,
  findLatLon,
  finishCheckout,
  formatDistance,
  formatMoney,
  journeyTraceId,
  nearest,
  type Store,
} from './lib.ts';

interface Product {
  sku: string;
  name: string;
  description: string;
  priceMinor: number;
  image: string;
}
interface Line {
  sku: string;
  quantity: number;
  unitPrice: number;
  lineTotal: number;
}
interface Basket {
  id: string;
  lines: Line[];
  subtotal: number;
}
interface Account {
  id: string;
  balance: number;
  reference: string | null;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const currency = accounts.currency;
let products: Product[] = [];
let basket: Basket | undefined;
const ids = new Map<string, Account>();

function status(text: string, bad = false): void {
  const el = $('status');
  el.textContent = text;
  el.classList.toggle('bad', bad);
}
function fail(e: unknown): void {
  status(e instanceof HttpError ? describeError(e.problem) : String(e), true);
}
function showTrace(): void {
  $('trace-id').textContent = journeyTraceId(sessionStorage);
}

async function account(reference: string): Promise<Account> {
  const r = await call<{ accounts: Account[] }>(
    `/api/transactions/accounts?reference=${encodeURIComponent(reference)}`,
  );
  const a = r.body.accounts[0];
  if (a === undefined) throw new Error(`no account ${reference}: run the shop seed`);
  ids.set(reference, a);
  return a;
}

async function showBalance(): Promise<void> {
  const ref = $<HTMLSelectElement>('shopper').value;
  localStorage.setItem('shop.shopper', ref);
  $('balance').textContent = '…';
  try {
    const a = await account(ref);
    $('balance').textContent = formatMoney(a.balance, currency);
  } catch (e) {
    $('balance').textContent = 'unavailable';
    fail(e);
  }
}

async function loadCatalog(): Promise<void> {
  const r = await call<{ products: Product[] }>('/shop/data/catalog.json');
  products = r.body.products;
  const ul = $('catalog');
  ul.replaceChildren(
    ...products.map((p) => {
      const li = document.createElement('li');
      li.dataset.testid = `product-${p.sku}`;
      const img = document.createElement('img');
      img.src = p.image;
      img.alt = '';
      img.width = 240;
      img.height = 180;
      const h = document.createElement('h3');
      h.textContent = p.name;
      const d = document.createElement('p');
      d.textContent = p.description;
      const price = document.createElement('p');
      price.textContent = formatMoney(p.priceMinor, currency);
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = 'Add to basket';
      // The visible text first (WCAG 2.5.3, label in name), then which product.
      b.setAttribute('aria-label', `Add to basket: ${p.name}`);
      b.dataset.testid = `add-${p.sku}`;
      b.addEventListener('click', () => void add(p, b));
      li.append(img, h, d, price, b);
      return li;
    }),
  );
}

function renderBasket(): void {
  const ul = $('basket');
  const lines = basket?.lines ?? [];
  ul.replaceChildren(
    ...lines.map((l) => {
      const li = document.createElement('li');
      li.dataset.testid = `line-${l.sku}`;
      const name = products.find((p) => p.sku === l.sku)?.name ?? l.sku;
      li.append(`${l.quantity} × ${name} — ${formatMoney(l.lineTotal, currency)} `);
      const rm = document.createElement('button');
      rm.type = 'button';
      rm.className = 'small';
      rm.textContent = 'Remove';
      rm.setAttribute('aria-label', `Remove ${name}`);
      rm.dataset.testid = `remove-${l.sku}`;
      rm.addEventListener('click', () => void remove(l.sku));
      li.append(rm);
      return li;
    }),
  );
  $('total').textContent = formatMoney(basket?.subtotal ?? 0, currency);
  $<HTMLButtonElement>('pay').disabled = lines.length === 0;
}

async function ensureBasket(): Promise<Basket> {
  if (basket) return basket;
  const r = await call<Basket>('/api/basket/baskets', { method: 'POST' });
  basket = r.body;
  localStorage.setItem('shop.basketId', basket.id);
  return basket;
}

async function add(p: Product, b: HTMLButtonElement): Promise<void> {
  b.disabled = true;
  try {
    const bk = await ensureBasket();
    const r = await call<Basket>(
      `/api/basket/baskets/${encodeURIComponent(bk.id)}/lines`,
      json('POST', { sku: p.sku, quantity: 1, unitPrice: p.priceMinor, currency }),
    );
    basket = r.body;
    renderBasket();
    status(`Added ${p.name} (basket, quadrant D)`);
  } catch (e) {
    fail(e);
  } finally {
    b.disabled = false;
  }
}

async function remove(sku: string): Promise<void> {
  if (!basket) return;
  try {
    basket = (
      await call<Basket>(
        `/api/basket/baskets/${encodeURIComponent(basket.id)}/lines/${encodeURIComponent(sku)}`,
        { method: 'DELETE' },
      )
    ).body;
    renderBasket();
    status(`Removed ${sku} (basket, quadrant D)`);
  } catch (e) {
    fail(e);
  }
}

async function restoreBasket(): Promise<void> {
  const id = localStorage.getItem('shop.basketId');
  if (id === null) return renderBasket();
  try {
    basket = (await call<Basket>(`/api/basket/baskets/${encodeURIComponent(id)}`)).body;
  } catch (e) {
    // an expired or lost basket (quadrant D may lose it by design): start a new one on the next add
    localStorage.removeItem('shop.basketId');
    basket = undefined;
    if (!(e instanceof HttpError && e.problem.status === 404)) fail(e);
  }
  renderBasket();
}

async function findNearest(lat: number, lon: number): Promise<void> {
  const out = $('nearest');
  out.textContent = 'Measuring…';
  try {
    const stores = (await call<{ stores: Store[] }>('/shop/data/stores.json')).body.stores;
    const measured = await Promise.all(
      stores.map(async (s) => {
        const q = new URLSearchParams({
          lat1: String(lat),
          lon1: String(lon),
          lat2: String(s.lat),
          lon2: String(s.lon),
        });
        const r = await call<{ distance: number }>(`/api/geo/geodesic/inverse?${q}`);
        return { item: s, distance: r.body.distance };
      }),
    );
    const best = nearest(measured);
    out.textContent = best
      ? `${best.item.name}, ${best.item.city} — ${formatDistance(best.distance)} (geo, quadrant C)`
      : 'No store found';
  } catch (e) {
    out.textContent = '';
    fail(e);
  }
}

async function pay(): Promise<void> {
  const btn = $<HTMLButtonElement>('pay');
  if (btn.disabled || !basket) return;
  btn.disabled = true;
  status('Paying…');
  const from = $<HTMLSelectElement>('shopper').value;
  try {
    const payer = ids.get(from) ?? (await account(from));
    const till = ids.get(accounts.shop.reference) ?? (await account(accounts.shop.reference));
    const amount = basket.subtotal;
    const key = checkoutKey(sessionStorage, `${basket.id}|${payer.id}|${amount}`);
    const r = await call<{ id: string }>('/api/transactions/transfers', {
      ...json('POST', {
        fromAccountId: payer.id,
        toAccountId: till.id,
        amount,
        reference: `order ${basket.id}`,
      }),
      idempotencyKey: key,
    });
    const traceId = journeyTraceId(sessionStorage);
    finishCheckout(sessionStorage);
    try {
      await call(`/api/basket/baskets/${encodeURIComponent(basket.id)}`, { method: 'DELETE' });
    } catch {
      // the order is paid; a basket that is already gone changes nothing
    }
    localStorage.removeItem('shop.basketId');
    basket = undefined;
    endJourney(sessionStorage);
    sessionStorage.setItem('shop.order', JSON.stringify({ transferId: r.body.id, traceId }));
    location.hash = '#/order';
    status('Paid (transactions, quadrant A)');
    route();
    void showBalance();
  } catch (e) {
    fail(e);
  } finally {
    renderBasket();
  }
}

async function upload(ev: SubmitEvent): Promise<void> {
  ev.preventDefault();
  const file = $<HTMLInputElement>('file').files?.[0];
  const order = JSON.parse(sessionStorage.getItem('shop.order') ?? '{}') as { transferId?: string };
  if (!file || !order.transferId) return status('Choose a file first', true);
  const fd = new FormData();
  fd.append('order', order.transferId);
  fd.append('file', file);
  try {
    const r = await call<{ id: string }>('/api/uploads/uploads', {
      method: 'POST',
      body: fd,
      idempotencyKey: crypto.randomUUID(),
    });
    $('upload-result').textContent = `Stored as ${r.body.id} (uploads, quadrant B)`;
  } catch (e) {
    fail(e);
  }
}

function route(): void {
  const order = JSON.parse(sessionStorage.getItem('shop.order') ?? 'null') as {
    transferId: string;
    traceId: string;
  } | null;
  const done = location.hash === '#/order' && order !== null;
  $('confirmation').hidden = !done;
  if (done) {
    $('transfer-id').textContent = order.transferId;
    $('order-trace').textContent = order.traceId;
    $('confirmation').focus();
  }
  showTrace();
}

function init(): void {
  const sel = $<HTMLSelectElement>('shopper');
  for (const s of accounts.shoppers) sel.add(new Option(s.owner, s.reference));
  const saved = localStorage.getItem('shop.shopper');
  if (saved && accounts.shoppers.some((s) => s.reference === saved)) sel.value = saved;
  sel.addEventListener('change', () => void showBalance());
  $('pay').addEventListener('click', () => void pay());
  $('confirmation').tabIndex = -1;
  $('again').addEventListener('click', () => {
    sessionStorage.removeItem('shop.order');
    location.hash = '#/';
    route();
  });
  $('upload-form').addEventListener('submit', (e) => void upload(e as SubmitEvent));
  $('locate').addEventListener('click', () => {
    if (!('geolocation' in navigator)) return status('This browser has no geolocation', true);
    navigator.geolocation.getCurrentPosition(
      (p) => void findNearest(p.coords.latitude, p.coords.longitude),
      (err) => status(`Location unavailable: ${err.message}`, true),
    );
  });
  $('mgrs-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const mgrs = $<HTMLInputElement>('mgrs').value.replace(/\s+/g, '').toUpperCase();
    void (async () => {
      try {
        const r = await call<unknown>(
          '/api/geo/convert',
          json('POST', { position: { from: 'mgrs', mgrs }, to: ['latlon'] }),
        );
        const ll = findLatLon(r.body);
        if (!ll) throw new Error('geo answered no latitude/longitude');
        await findNearest(ll.lat, ll.lon);
      } catch (e) {
        fail(e);
      }
    })();
  });
  window.addEventListener('hashchange', route);
  route();
  void showBalance();
  void loadCatalog().then(restoreBasket, fail);
}

init();
