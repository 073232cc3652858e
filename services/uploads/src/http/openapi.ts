import {
  jsonResponse,
  type OpenApiDocument,
  problemResponse,
  problemSchema,
  ref,
} from '@quadrants/service-kit';

const uploadId = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The upload’s id: the SHA-256 of its bytes, as POST /uploads answered it.',
  schema: { type: 'string', pattern: '^[0-9a-f]{64}$' },
};
const idempotencyKey = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'A value unique to this upload (a UUID), sent again unchanged on a retry: the retry is ' +
    'answered as the first was, by any replica, for IDEMPOTENCY_KEY_TTL_SECONDS (a day by ' +
    'default). 1–255 visible ASCII characters.',
  schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' },
};
const header = (description: string, required = true) => ({
  description,
  required,
  schema: { type: 'string' },
});
const etag = { ETag: header('The id, quoted: the bytes never change under it.') };
const stored = (description: string) => ({
  ...jsonResponse(ref('Upload'), description),
  headers: {
    ...etag,
    Location: header('Where the bytes can be read: /uploads/{id}.'),
    'Idempotent-Replayed': header(
      'true when this is the stored answer to an earlier request with the Idempotency-Key.',
      false,
    ),
  },
});
const notFound = problemResponse('No upload has this id (upload_not_found).');
const retryAfter = { 'Retry-After': header('Seconds to wait before trying again.') };

/** The OpenAPI 3.1 description of uploads. */
export function openApiDocument(): OpenApiDocument {
  return {
    openapi: '3.1.1',
    info: {
      title: 'quadrants uploads',
      version: '1.0.0',
      description:
        'Content-addressed file uploads on a volume every replica shares. An upload’s id is the ' +
        'SHA-256 of its bytes: the same bytes uploaded again answer the same id and are stored ' +
        'once. An upload is visible only once it is whole and on the disk; a crash or a dropped ' +
        'connection mid-upload leaves nothing visible.',
    },
    paths: {
      '/uploads': {
        post: {
          operationId: 'upload',
          summary: 'Store a file (multipart/form-data: one part "file", optional text fields)',
          parameters: [idempotencyKey],
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  required: ['file'],
                  properties: {
                    file: {
                      type: 'string',
                      format: 'binary',
                      description:
                        'The file, with its Content-Type: one of UPLOADS_ALLOWED_TYPES (images, PDF and plain text by default).',
                    },
                  },
                  additionalProperties: { type: 'string', maxLength: 1024 },
                },
                encoding: {
                  file: {
                    contentType:
                      'image/png, image/jpeg, image/gif, image/webp, image/avif, application/pdf, text/plain',
                  },
                },
              },
            },
          },
          responses: {
            '201': stored('Stored: these bytes were new.'),
            '200': stored('These bytes were stored already: the same id, one copy.'),
            '400': problemResponse(
              'No part "file" (file_missing), more than one file (unexpected_file), a field name ' +
                'or value that is not text (field_invalid, invalid), a body that is not valid ' +
                'multipart (multipart_invalid), or an Idempotency-Key that is malformed ' +
                '(idempotency_key_invalid).',
            ),
            '409': {
              ...problemResponse(
                'A request with this Idempotency-Key is still running (idempotency_key_in_use); retry after Retry-After.',
              ),
              headers: retryAfter,
            },
            '413': problemResponse(
              'The file is larger than UPLOADS_MAX_FILE_SIZE (file_too_large), or there are too ' +
                'many fields (too_many_fields) or a field too long (field_name_too_long, field_too_large).',
            ),
            '415': problemResponse(
              'The body is not multipart/form-data (unsupported_media_type), the file’s type is not ' +
                'accepted (type_not_allowed), or its bytes contradict its declared type (type_mismatch).',
            ),
            '422': problemResponse(
              'The Idempotency-Key was used before for another upload (idempotency_key_reused).',
            ),
            '503': {
              ...problemResponse(
                'The volume cannot be used (storage_unavailable); nothing was stored.',
              ),
              headers: retryAfter,
            },
            '507': problemResponse('The volume is full (storage_full); nothing was stored.'),
          },
        },
      },
      '/uploads/{id}': {
        get: {
          operationId: 'download',
          summary: 'The bytes, with Range, If-None-Match and If-Modified-Since',
          parameters: [uploadId],
          responses: {
            '200': {
              description: 'The bytes, with the type they were stored as.',
              headers: {
                ...etag,
                'Last-Modified': header('When the bytes were first stored.'),
                'Accept-Ranges': header('bytes'),
                'Content-Disposition': header(
                  'inline for images, attachment otherwise, with the kept name.',
                ),
              },
              content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
            },
            '206': {
              description: 'The bytes of the Range asked for.',
              headers: { ...etag, 'Content-Range': header('bytes first-last/size') },
              content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
            },
            '304': {
              description:
                'The bytes are what If-None-Match names, or unchanged since If-Modified-Since.',
              headers: etag,
            },
            '404': notFound,
            '412': problemResponse(
              'If-Match or If-Unmodified-Since does not hold (precondition_failed).',
            ),
            '416': problemResponse('The Range is outside the file (range_not_satisfiable).'),
          },
        },
      },
      '/uploads/{id}/meta': {
        get: {
          operationId: 'metadata',
          summary: 'What was stored: kept name, size, type, creation time and fields',
          parameters: [uploadId],
          responses: {
            '200': { ...jsonResponse(ref('Upload'), 'The upload’s metadata.'), headers: etag },
            '304': { description: 'The metadata is what If-None-Match names.', headers: etag },
            '404': notFound,
          },
        },
      },
    },
    components: {
      schemas: {
        Upload: {
          type: 'object',
          required: ['id', 'name', 'size', 'type', 'createdAt', 'fields'],
          additionalProperties: false,
          properties: {
            id: {
              type: 'string',
              pattern: '^[0-9a-f]{64}$',
              description: 'SHA-256 of the bytes, hex.',
            },
            name: {
              type: 'string',
              maxLength: 255,
              description: 'The original name, sanitised; never a path.',
            },
            size: { type: 'integer', minimum: 0 },
            type: { type: 'string', description: 'The media type it is served with.' },
            createdAt: { type: 'string', format: 'date-time' },
            fields: { type: 'object', additionalProperties: { type: 'string' } },
          },
        },
        Problem: problemSchema,
      },
    },
  };
}
