// The story of a basket, in plain functions: what a basket is, the changes a shopper makes to
// it, the rules each change must keep, and what the shopper is shown. Both stores keep a basket
// as the `StoredBasket` JSON below. The memory store runs `applyChange` itself; the Redis store
// runs the same rules inside Redis, as the Lua scripts of data/basket-scripts.ts, so that each
// change is one atomic command. test/stores-agree.test.ts runs one suite against both, which is
// what keeps the two in step.

/** A line as stored: a SKU, how many, and the price of one in minor units (cents, yen). */
export interface StoredLine {
  sku: string;
  quantity: number;
  unitPrice: number;
}

/**
 * A basket as both stores keep it. `currency` is '' while the basket is empty: a basket holds one
 * currency, set by its first line and free again once it is empty. Times are epoch milliseconds.
 */
export interface StoredBasket {
  version: number;
  currency: string;
  createdAt: number;
  updatedAt: number;
  lines: StoredLine[];
}

export type BasketChange =
  | { kind: 'addLine'; sku: string; quantity: number; unitPrice: number; currency: string }
  | { kind: 'setQuantity'; sku: string; quantity: number }
  | { kind: 'removeLine'; sku: string }
  | { kind: 'clear' };

export interface BasketLimits {
  /** Most distinct SKUs in one basket. */
  maxLines: number;
  /** Most of one SKU in one basket. */
  maxQuantity: number;
}

/** The highest unit price, in minor units: 10^9 × 99 × 50 lines stays exact in a double. */
export const MAX_UNIT_PRICE = 1_000_000_000;

/** What a write may be conditioned on (If-Match): any version, or one of these. */
export type Precondition = '*' | readonly number[];

export type RefusalCode = 'too_many_lines' | 'quantity_limit' | 'currency_mismatch';

/** A change the rules forbid: the 422 the shopper gets, with the field at fault. */
export class BasketRefused extends Error {
  readonly code: RefusalCode;
  readonly field: string;

  constructor(code: RefusalCode, field: string, detail: string) {
    super(detail);
    this.name = 'BasketRefused';
    this.code = code;
    this.field = field;
  }
}

export class BasketNotFound extends Error {
  readonly id: string;

  constructor(id: string) {
    super('no basket has this id: it never existed, it expired, or it was lost with its store');
    this.name = 'BasketNotFound';
    this.id = id;
  }
}

export class LineNotFound extends Error {
  readonly sku: string;

  constructor(sku: string) {
    super(`the basket has no line for SKU ${sku}`);
    this.name = 'LineNotFound';
    this.sku = sku;
  }
}

/** If-Match named versions the basket is no longer at. */
export class VersionMismatch extends Error {
  readonly current: number;

  constructor(current: number) {
    super(`the basket is at version ${current}, not the one If-Match names`);
    this.name = 'VersionMismatch';
    this.current = current;
  }
}

/** The store cannot be reached, or did not answer in time: whether a write applied is unknown. */
export class StoreUnavailable extends Error {
  constructor(options?: { cause?: unknown }) {
    super('the basket store cannot be reached', options);
    this.name = 'StoreUnavailable';
  }
}

/** The store is full and refuses writes (Redis' maxmemory with noeviction, the memory cap). */
export class StoreFull extends Error {
  constructor(options?: { cause?: unknown }) {
    super('the basket store is full and takes no new writes', options);
    this.name = 'StoreFull';
  }
}

/** The refusal for `code`, worded with the limits in force; the Lua scripts return the code only. */
export function refusal(code: RefusalCode, limits: BasketLimits): BasketRefused {
  switch (code) {
    case 'too_many_lines':
      return new BasketRefused(
        code,
        'sku',
        `a basket holds at most ${limits.maxLines} different SKUs`,
      );
    case 'quantity_limit':
      return new BasketRefused(
        code,
        'quantity',
        `a basket holds at most ${limits.maxQuantity} of one SKU`,
      );
    case 'currency_mismatch':
      return new BasketRefused(
        code,
        'currency',
        "a basket holds one currency: the first line's, until the basket is empty again",
      );
  }
}

export function emptyBasket(now: number): StoredBasket {
  return { version: 1, currency: '', createdAt: now, updatedAt: now, lines: [] };
}

export function satisfies(basket: StoredBasket, precondition: Precondition | undefined): boolean {
  return (
    precondition === undefined || precondition === '*' || precondition.includes(basket.version)
  );
}

/**
 * The basket after `change`, at the next version; throws BasketRefused or LineNotFound. The Lua
 * scripts in data/basket-scripts.ts are this function, line for line.
 */
export function applyChange(
  basket: StoredBasket,
  change: BasketChange,
  limits: BasketLimits,
  now: number,
): StoredBasket {
  const lines = basket.lines.map((line) => ({ ...line }));
  let currency = basket.currency;
  const index = 'sku' in change ? lines.findIndex((line) => line.sku === change.sku) : -1;
  const line = lines[index];
  switch (change.kind) {
    case 'addLine': {
      if (currency !== '' && currency !== change.currency) {
        throw refusal('currency_mismatch', limits);
      }
      if (line) {
        if (line.quantity + change.quantity > limits.maxQuantity) {
          throw refusal('quantity_limit', limits);
        }
        line.quantity += change.quantity;
        line.unitPrice = change.unitPrice; // the latest add carries the current price
      } else {
        if (change.quantity > limits.maxQuantity) throw refusal('quantity_limit', limits);
        if (lines.length >= limits.maxLines) throw refusal('too_many_lines', limits);
        lines.push({ sku: change.sku, quantity: change.quantity, unitPrice: change.unitPrice });
      }
      currency = change.currency;
      break;
    }
    case 'setQuantity':
      if (!line) throw new LineNotFound(change.sku);
      if (change.quantity > limits.maxQuantity) throw refusal('quantity_limit', limits);
      line.quantity = change.quantity;
      break;
    case 'removeLine':
      if (!line) throw new LineNotFound(change.sku);
      lines.splice(index, 1);
      break;
    case 'clear':
      lines.length = 0;
      break;
  }
  if (lines.length === 0) currency = '';
  return { ...basket, version: basket.version + 1, currency, updatedAt: now, lines };
}

/** What the shopper sees: lines with their totals, the basket's totals, and when it expires. */
export interface BasketView {
  id: string;
  version: number;
  currency: string | null;
  lines: {
    sku: string;
    quantity: number;
    unitPrice: number;
    currency: string;
    lineTotal: number;
  }[];
  itemCount: number;
  subtotal: number;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
}

export function present(id: string, basket: StoredBasket, idleMs: number): BasketView {
  const lines = basket.lines.map((line) => ({
    ...line,
    currency: basket.currency,
    lineTotal: line.quantity * line.unitPrice,
  }));
  return {
    id,
    version: basket.version,
    currency: basket.currency === '' ? null : basket.currency,
    lines,
    itemCount: lines.reduce((sum, line) => sum + line.quantity, 0),
    subtotal: lines.reduce((sum, line) => sum + line.lineTotal, 0),
    createdAt: new Date(basket.createdAt).toISOString(),
    updatedAt: new Date(basket.updatedAt).toISOString(),
    expiresAt: new Date(basket.updatedAt + idleMs).toISOString(),
  };
}
