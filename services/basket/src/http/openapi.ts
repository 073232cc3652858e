import {
  jsonBody,
  jsonResponse,
  type OpenApiDocument,
  problemResponse,
  problemSchema,
  ref,
  schemaOf,
} from '@quadrants/service-kit';
import { AddLineBody, BasketOut, SetQuantityBody, sku } from './schemas.ts';

const basketId = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The basket’s id, as POST /baskets answered it.',
  schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{22}$' },
};
const skuParameter = {
  name: 'sku',
  in: 'path',
  required: true,
  description: 'The SKU of the line.',
  schema: schemaOf(sku),
};
const ifMatch = {
  name: 'If-Match',
  in: 'header',
  required: false,
  description:
    'Apply the change only if the basket is still at this version: the ETag of the basket you ' +
    'last read, such as "3" (or * for any). A stale one answers 412. It also makes retrying a ' +
    'write that answered 503 safe.',
  schema: { type: 'string' },
};
const ifNoneMatch = {
  name: 'If-None-Match',
  in: 'header',
  required: false,
  description: 'The ETag you hold; 304 with no body while the basket is still at that version.',
  schema: { type: 'string' },
};

const etag = {
  ETag: {
    description: 'The basket’s version, quoted: send it as If-Match to make a change conditional.',
    schema: { type: 'string' },
  },
};
const basket = (description: string) => ({
  ...jsonResponse(ref('Basket'), description),
  headers: etag,
});

const invalid = problemResponse(
  'A field is missing, malformed or out of range, the body is not JSON, or If-Match or ' +
    'If-None-Match is not a list of entity tags (if_match_invalid, if_none_match_invalid).',
);
const notFound = problemResponse(
  'No basket has this id (basket_not_found): it never existed, it expired, or it was lost when ' +
    'its store restarted.',
);
const lineNotFound = problemResponse(
  'No basket has this id (basket_not_found), or the basket has no line for this SKU (line_not_found).',
);
const stale = {
  description:
    'If-Match names a version the basket is no longer at (basket_version_mismatch); nothing ' +
    'changed. The answer carries the current version, as ETag and as currentVersion.',
  headers: etag,
  content: { 'application/problem+json': { schema: ref('VersionMismatch') } },
};
const refused = problemResponse(
  'The change breaks a basket rule: too_many_lines (BASKET_MAX_LINES), quantity_limit ' +
    '(BASKET_MAX_QUANTITY of one SKU) or currency_mismatch (a basket holds one currency).',
);
const tooLarge = problemResponse('The body is larger than the service accepts.');
const notJson = problemResponse('The body is not application/json.');
const full = problemResponse(
  'The store is full (basket_store_full): it refuses writes that add rather than evict other ' +
    'baskets. Reads, removing a line, clearing and deleting still work.',
);
const unavailable = {
  ...problemResponse(
    'The store cannot be reached (store_unavailable); retry after Retry-After seconds. A write ' +
      'may or may not have been applied: retry it with If-Match.',
  ),
  headers: {
    'Retry-After': {
      description: 'Seconds to wait before trying again.',
      schema: { type: 'string' },
    },
  },
};

const writeResponses = {
  '400': invalid,
  '404': lineNotFound,
  '412': stale,
  '413': tooLarge,
  '415': notJson,
  '503': unavailable,
  '507': full,
};

/** The OpenAPI 3.1 description of basket, generated from the schemas that validate. */
export function openApiDocument(): OpenApiDocument {
  return {
    openapi: '3.1.1',
    info: {
      title: 'quadrants basket',
      version: '1.0.0',
      description:
        'A shopping basket per id, kept in Redis without persistence (or in the process): it ' +
        'survives the loss of any basket replica, and is lost when its store restarts, by ' +
        'design. Prices are integers of minor units. Every change is one atomic step in the ' +
        'store and answers the basket with its new version as ETag.',
    },
    paths: {
      '/baskets': {
        post: {
          operationId: 'createBasket',
          summary: 'Start an empty basket under a new random id',
          requestBody: { ...jsonBody('NewBasket'), required: false },
          responses: {
            '201': {
              ...basket('The new, empty basket.'),
              headers: {
                ...etag,
                Location: {
                  description: 'Where the basket can be read.',
                  schema: { type: 'string' },
                },
              },
            },
            '400': invalid,
            '413': tooLarge,
            '415': notJson,
            '503': unavailable,
            '507': full,
          },
        },
      },
      '/baskets/{id}': {
        get: {
          operationId: 'getBasket',
          summary: 'A basket, its lines and totals',
          parameters: [basketId, ifNoneMatch],
          responses: {
            '200': basket('The basket.'),
            '304': {
              description: 'The basket is still at the version If-None-Match names.',
              headers: etag,
            },
            '400': invalid,
            '404': notFound,
            '503': unavailable,
          },
        },
        delete: {
          operationId: 'deleteBasket',
          summary: 'Forget a basket (after checkout, say)',
          parameters: [basketId, ifMatch],
          responses: {
            '204': { description: 'The basket is gone.' },
            '400': invalid,
            '404': notFound,
            '412': stale,
            '503': unavailable,
          },
        },
      },
      '/baskets/{id}/lines': {
        post: {
          operationId: 'addLine',
          summary: 'Add some of a SKU: a new line, or more of one already there',
          parameters: [basketId, ifMatch],
          requestBody: jsonBody('AddLine'),
          responses: {
            '200': basket('The basket after the change.'),
            ...writeResponses,
            '404': notFound,
            '422': refused,
          },
        },
        delete: {
          operationId: 'clearBasket',
          summary: 'Remove every line',
          parameters: [basketId, ifMatch],
          responses: {
            '200': basket('The empty basket.'),
            '400': invalid,
            '404': notFound,
            '412': stale,
            '503': unavailable,
          },
        },
      },
      '/baskets/{id}/lines/{sku}': {
        patch: {
          operationId: 'setQuantity',
          summary: 'Set how many of a SKU the basket holds',
          parameters: [basketId, skuParameter, ifMatch],
          requestBody: jsonBody('SetQuantity'),
          responses: {
            '200': basket('The basket after the change.'),
            ...writeResponses,
            '422': refused,
          },
        },
        delete: {
          operationId: 'removeLine',
          summary: 'Remove the line of a SKU',
          parameters: [basketId, skuParameter, ifMatch],
          responses: {
            '200': basket('The basket after the change.'),
            '400': invalid,
            '404': lineNotFound,
            '412': stale,
            '503': unavailable,
          },
        },
      },
    },
    components: {
      schemas: {
        NewBasket: { type: 'object', properties: {}, additionalProperties: false },
        AddLine: schemaOf(AddLineBody),
        SetQuantity: schemaOf(SetQuantityBody),
        Basket: schemaOf(BasketOut, 'output'),
        Problem: problemSchema,
        VersionMismatch: {
          allOf: [
            ref('Problem'),
            {
              type: 'object',
              required: ['currentVersion'],
              properties: {
                currentVersion: { type: 'integer', description: 'The basket’s version now.' },
              },
            },
          ],
        },
      },
    },
  };
}
