import {
  type JsonSchema,
  jsonBody,
  jsonResponse,
  type OpenApiDocument,
  problemResponse,
  problemSchema,
  queryParametersOf,
  ref,
  schemaOf,
} from '@quadrants/service-kit';
import type { z } from 'zod';
import {
  AccountOut,
  AccountsOut,
  AccountsQuery,
  EntriesPage,
  EntryOut,
  NewAccountBody,
  PageQuery,
  TransferBody,
  TransferOut,
  TransfersPage,
  TransfersQuery,
} from './schemas.ts';

const idempotencyKey = {
  name: 'Idempotency-Key',
  in: 'header',
  required: true,
  description:
    'A unique value per request (a UUID, say), sent again unchanged on every retry: the ' +
    'first request is carried out once, and each repeat gets its stored response, with ' +
    '`Idempotent-Replayed: true`. Remembered for IDEMPOTENCY_KEY_TTL_HOURS (24 by default). ' +
    '1–255 visible ASCII characters.',
  schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
};
const idParameter = (what: string) => ({
  name: 'id',
  in: 'path',
  required: true,
  description: `The ${what}'s id.`,
  schema: { type: 'string', format: 'uuid' },
});

const invalid = problemResponse(
  'A field is missing, malformed or out of range, the body is not JSON, or the ' +
    'Idempotency-Key header is missing or malformed (code idempotency_key_missing or ' +
    'idempotency_key_invalid).',
);
const inUse = problemResponse(
  'A request with this Idempotency-Key is still running (code idempotency_key_in_use); ' +
    'retry after Retry-After seconds.',
);
const tooLarge = problemResponse('The body is larger than the service accepts.');
const notJson = problemResponse('The body is not application/json.');
const unavailable = problemResponse(
  'PostgreSQL cannot be reached (code database_unavailable); retry after Retry-After seconds ' +
    'with the same Idempotency-Key.',
);
const created = (schema: string, what: string) => ({
  ...jsonResponse(
    ref(schema),
    `${what}. A replay answers the same, with Idempotent-Replayed: true.`,
  ),
  headers: {
    Location: {
      description: `Where the ${schema.toLowerCase()} can be read.`,
      schema: { type: 'string' },
    },
  },
});

/** A page's schema with its items as references to their component, not inlined copies. */
function pageSchema(page: z.ZodType, items: string, item: string): JsonSchema {
  const schema = schemaOf(page, 'output');
  const properties = schema.properties as Record<string, JsonSchema>;
  return {
    ...schema,
    properties: { ...properties, [items]: { type: 'array', items: ref(item) } },
  };
}

/** The OpenAPI 3.1 description of transactions, generated from the schemas that validate. */
export function openApiDocument(): OpenApiDocument {
  return {
    openapi: '3.1.1',
    info: {
      title: 'quadrants transactions',
      version: '1.0.0',
      description:
        'Accounts and money transfers on a double-entry ledger in PostgreSQL. Amounts are ' +
        'integers of minor units; every POST takes an Idempotency-Key and is carried out ' +
        'exactly once per key.',
    },
    paths: {
      '/accounts': {
        post: {
          operationId: 'openAccount',
          summary: 'Open an account with an opening balance',
          parameters: [idempotencyKey],
          requestBody: jsonBody('NewAccount'),
          responses: {
            '201': created('Account', 'The account opened'),
            '400': invalid,
            '409': problemResponse(
              'Another account has this reference (account_reference_taken; `Location` names ' +
                'it), or a request with this Idempotency-Key is still running ' +
                '(idempotency_key_in_use; retry after Retry-After seconds).',
            ),
            '413': tooLarge,
            '415': notJson,
            '422': problemResponse(
              'The Idempotency-Key was used before with another body (idempotency_key_reused).',
            ),
            '503': unavailable,
          },
        },
        get: {
          operationId: 'findAccounts',
          summary: 'The account with a reference',
          parameters: queryParametersOf(schemaOf(AccountsQuery)),
          responses: {
            '200': jsonResponse(ref('Accounts'), 'The account with it, or none.'),
            '400': invalid,
            '503': unavailable,
          },
        },
      },
      '/accounts/{id}': {
        get: {
          operationId: 'getAccount',
          summary: 'An account and its balance',
          parameters: [idParameter('account')],
          responses: {
            '200': jsonResponse(ref('Account'), 'The account.'),
            '400': invalid,
            '404': problemResponse('No account has this id (account_not_found).'),
            '503': unavailable,
          },
        },
      },
      '/accounts/{id}/entries': {
        get: {
          operationId: 'listEntries',
          summary: "An account's ledger entries, newest first",
          parameters: [idParameter('account'), ...queryParametersOf(schemaOf(PageQuery))],
          responses: {
            '200': jsonResponse(ref('EntriesPage'), 'One page of entries.'),
            '400': invalid,
            '404': problemResponse('No account has this id (account_not_found).'),
            '503': unavailable,
          },
        },
      },
      '/transfers': {
        post: {
          operationId: 'makeTransfer',
          summary: 'Move money between two accounts of one currency, exactly once per key',
          parameters: [idempotencyKey],
          requestBody: jsonBody('TransferRequest'),
          responses: {
            '201': created('Transfer', 'The transfer made'),
            '400': invalid,
            '409': inUse,
            '413': tooLarge,
            '415': notJson,
            '422': problemResponse(
              'The ledger refuses the transfer, and says why in `code`: insufficient_funds, ' +
                'currency_mismatch, same_account, account_not_found, balance_overflow (a ' +
                'refusal is stored under the key and replayed too); or the Idempotency-Key ' +
                'was used before with another body (idempotency_key_reused).',
            ),
            '503': unavailable,
          },
        },
        get: {
          operationId: 'listTransfers',
          summary: 'Transfers, newest first, optionally of one account',
          parameters: queryParametersOf(schemaOf(TransfersQuery)),
          responses: {
            '200': jsonResponse(ref('TransfersPage'), 'One page of transfers.'),
            '400': invalid,
            '503': unavailable,
          },
        },
      },
      '/transfers/{id}': {
        get: {
          operationId: 'getTransfer',
          summary: 'One transfer',
          parameters: [idParameter('transfer')],
          responses: {
            '200': jsonResponse(ref('Transfer'), 'The transfer.'),
            '400': invalid,
            '404': problemResponse('No transfer has this id (transfer_not_found).'),
            '503': unavailable,
          },
        },
      },
    },
    components: {
      schemas: {
        NewAccount: schemaOf(NewAccountBody),
        Account: schemaOf(AccountOut, 'output'),
        Accounts: pageSchema(AccountsOut, 'accounts', 'Account'),
        Entry: schemaOf(EntryOut, 'output'),
        EntriesPage: pageSchema(EntriesPage, 'entries', 'Entry'),
        TransferRequest: schemaOf(TransferBody),
        Transfer: schemaOf(TransferOut, 'output'),
        TransfersPage: pageSchema(TransfersPage, 'transfers', 'Transfer'),
        Problem: problemSchema,
      },
    },
  };
}
