import { z } from 'zod';
import { MAX_MINOR_UNITS } from '../domain/ledger.ts';

/** The currencies this Node knows (ICU's ISO 4217 list), for "must be one of". */
const currencies = new Set(Intl.supportedValuesOf('currency'));

const uuid = (what: string) => z.uuid().describe(what);
const minorUnits = (min: number) =>
  z.int().min(min).max(MAX_MINOR_UNITS).describe('An integer of minor units (cents, yen).');
const timestamp = () => z.iso.datetime().describe('RFC 3339, UTC.');
/** An account's reference; the schema's CHECK is the same pattern. */
const accountReference = () =>
  z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9:._-]{0,63}$/,
      'must be 1–64 characters of a-z, 0-9 and : . _ -, starting with a letter or digit',
    );

export const NewAccountBody = z.strictObject({
  owner: z.string().trim().min(1).max(200).describe('Who holds the account.'),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code in capitals, such as EUR')
    .refine((code) => currencies.has(code), 'is not an ISO 4217 currency')
    .describe('ISO 4217 code, e.g. EUR.'),
  openingBalance: minorUnits(0)
    .default(0)
    .describe('Money the account opens with, in minor units; its first entry.'),
  reference: accountReference()
    .optional()
    .describe(
      'Your own unique name for the account, such as shop:ada, to find it again by ' +
        '(GET /accounts?reference=); another account with it answers 409 account_reference_taken.',
    ),
});

export const AccountsQuery = z.strictObject({
  reference: accountReference().describe(
    'The account with this reference (an empty list when none has it).',
  ),
});

export const TransferBody = z.strictObject({
  fromAccountId: uuid('The account debited.'),
  toAccountId: uuid('The account credited: another account of the same currency.'),
  amount: minorUnits(1),
  reference: z.string().max(140).optional().describe('Free text for the two account holders.'),
});

// A query value is one string; "?limit=1&limit=2" gives an array, which these refuse.
const limit = z
  .string()
  .regex(/^\d{1,4}$/, 'must be an integer from 1 to 200')
  .transform(Number)
  .pipe(z.number().int().min(1).max(200))
  .optional()
  .describe('How many to answer, 1–200 (default 50).');
const cursor = z
  .string()
  .max(100)
  .optional()
  .describe("A previous page's nextCursor: the page after it.");

export const PageQuery = z.strictObject({ limit, cursor });
export const TransfersQuery = z.strictObject({
  limit,
  cursor,
  accountId: uuid('Only transfers from or to this account.').optional(),
});

export const IdParam = z.object({ id: z.uuid() });

export const AccountOut = z.object({
  id: z.uuid(),
  owner: z.string(),
  currency: z.string(),
  balance: z.int().describe('Minor units; the sum of the account’s entries.'),
  reference: z.string().nullable().describe('Its unique reference, null when it has none.'),
  createdAt: timestamp(),
});

export const AccountsOut = z.object({
  accounts: z.array(AccountOut).describe('At most one: a reference is unique.'),
});

export const TransferOut = z.object({
  id: z.uuid(),
  fromAccountId: z.uuid(),
  toAccountId: z.uuid(),
  amount: z.int(),
  currency: z.string(),
  reference: z.string().nullable(),
  createdAt: timestamp(),
});

export const EntryOut = z.object({
  id: z.string().describe('Increases with every entry written.'),
  accountId: z.uuid(),
  transferId: z.uuid().nullable().describe('Null for the opening entry.'),
  kind: z.enum(['opening', 'debit', 'credit']),
  amount: z.int().describe('Signed minor units: a debit is negative.'),
  balanceAfter: z.int(),
  createdAt: timestamp(),
});

const nextCursor = z
  .string()
  .nullable()
  .describe('Pass as `cursor` for the next page; null on the last page.');
export const EntriesPage = z.object({ entries: z.array(EntryOut), nextCursor });
export const TransfersPage = z.object({ transfers: z.array(TransferOut), nextCursor });
