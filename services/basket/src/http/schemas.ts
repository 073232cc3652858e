import { z } from 'zod';
import { MAX_UNIT_PRICE } from '../domain/basket.ts';

/** The currencies this Node knows (ICU's ISO 4217 list), for "is not an ISO 4217 currency". */
const currencies = new Set(Intl.supportedValuesOf('currency'));

const SKU = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const sku = z
  .string()
  .regex(SKU, 'must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit')
  .describe('The product’s stock-keeping unit.');

// A quantity's upper bound is BASKET_MAX_QUANTITY, a 422 with its own code; here only its form.
const quantity = z
  .int()
  .min(1)
  .max(1_000_000)
  .describe('How many; at most BASKET_MAX_QUANTITY per SKU.');

export const NewBasketBody = z.strictObject({}).optional();

export const AddLineBody = z.strictObject({
  sku,
  quantity,
  unitPrice: z
    .int()
    .min(0)
    .max(MAX_UNIT_PRICE)
    .describe('The price of one, in minor units (cents, yen). The latest add of a SKU sets it.'),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code in capitals, such as EUR')
    .refine((code) => currencies.has(code), 'is not an ISO 4217 currency')
    .describe('ISO 4217 code; every line of a basket has the same.'),
});

export const SetQuantityBody = z.strictObject({ quantity });

export const LineParams = z.object({ sku });

const timestamp = () => z.iso.datetime().describe('RFC 3339, UTC.');

export const LineOut = z.object({
  sku: z.string(),
  quantity: z.int(),
  unitPrice: z.int(),
  currency: z.string(),
  lineTotal: z.int().describe('quantity × unitPrice, in minor units.'),
});

export const BasketOut = z.object({
  id: z.string().describe('An opaque random token: the basket’s only key.'),
  version: z.int().describe('Goes up by one on every change; the ETag is this number, quoted.'),
  currency: z.string().nullable().describe('The lines’ currency; null while the basket is empty.'),
  lines: z.array(LineOut).describe('In the order their SKUs were first added.'),
  itemCount: z.int().describe('The sum of the quantities.'),
  subtotal: z.int().describe('The sum of the line totals, in minor units.'),
  createdAt: timestamp(),
  updatedAt: timestamp(),
  expiresAt: timestamp().describe('When the basket is forgotten unless changed again.'),
});
