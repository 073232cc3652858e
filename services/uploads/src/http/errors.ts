// uploads' own errors, as the kit's typed errors: `translateErrors` sits at the end of the
// service's routes and maps what multer, the domain and the volume throw; the kit's one
// middleware turns them into problem+json.
import {
  AppError,
  Conflict,
  dropRestOfBody,
  InsufficientStorage,
  Invalid,
  KeyInUse,
  KeyReused,
  NotFound,
  TooLarge,
  Unavailable,
  Unprocessable,
  UnsupportedMediaType,
} from '@quadrants/service-kit';
import type { ErrorRequestHandler, Response } from 'express';
import { MulterError } from 'multer';
import { storageError } from '../data/files.ts';
import { StorageFull, StorageUnavailable, TypeRefused, UploadNotFound } from '../domain/uploads.ts';
import { FIELD_NAME_BYTES, FIELD_VALUE_BYTES } from './multipart.ts';

/** Longest the rest of a refused body is read before the answer goes out with the connection closing. */
const DRAIN_MS = 60_000;

/** 400 about the Idempotency-Key header: not one value of 1–255 visible ASCII characters. */
export class BadIdempotencyKey extends AppError {
  readonly status = 400;
  readonly title = 'Invalid request';

  constructor() {
    super(
      'idempotency_key_invalid',
      'the Idempotency-Key header must be one value of 1–255 visible ASCII characters',
      { extensions: { errors: [{ field: 'Idempotency-Key', detail: 'is invalid' }] } },
    );
  }
}

/** multer's and busboy's refusals, each with a code of its own. */
function fromMultipart(error: MulterError, limits: { maxFileSize: number; maxFields: number }) {
  const field = error.field ?? '(body)';
  switch (error.code) {
    case 'LIMIT_FILE_SIZE':
      return new TooLarge('file_too_large', `the file is larger than ${limits.maxFileSize} bytes`, {
        extensions: { limit: limits.maxFileSize },
      });
    case 'LIMIT_FILE_COUNT':
    case 'LIMIT_UNEXPECTED_FILE':
      return new Invalid([{ field, detail: 'send exactly one file, in the part named "file"' }], {
        code: 'unexpected_file',
      });
    case 'LIMIT_FIELD_COUNT':
    case 'LIMIT_PART_COUNT':
      return new TooLarge(
        'too_many_fields',
        `send at most ${limits.maxFields} fields beside the file`,
      );
    case 'LIMIT_FIELD_KEY':
      return new TooLarge(
        'field_name_too_long',
        `a field name may have at most ${FIELD_NAME_BYTES} bytes`,
      );
    case 'LIMIT_FIELD_VALUE':
      return new TooLarge(
        'field_too_large',
        `${field}: a field may have at most ${FIELD_VALUE_BYTES} bytes`,
      );
    default:
      return new Invalid([{ field, detail: error.message }], { code: 'field_invalid' });
  }
}

/** busboy's words for a body that is not multipart/form-data as it says. */
const MALFORMED =
  /^(Malformed part header|Malformed content type|Unexpected end of (form|file)|Multipart: Boundary not found)$/;

/** What the domain, multer and the volume threw, as the kit's typed errors (or as it was). */
function translate(
  error: unknown,
  res: Response,
  limits: { maxFileSize: number; maxFields: number },
): unknown {
  if (error instanceof MulterError) return fromMultipart(error, limits);
  if (error instanceof TypeRefused) {
    const seen = error.sniffed ? { sniffed: error.sniffed } : {};
    return new UnsupportedMediaType(error.code, error.message, {
      extensions: { declared: error.declared, ...seen },
    });
  }
  if (error instanceof UploadNotFound) return new NotFound('upload_not_found', error.message);
  if (error instanceof KeyInUse) {
    res.setHeader('Retry-After', '1');
    return new Conflict('idempotency_key_in_use', error.message);
  }
  if (error instanceof KeyReused) {
    return new Unprocessable([{ field: 'Idempotency-Key', detail: error.message }], {
      code: 'idempotency_key_reused',
    });
  }
  if (error instanceof StorageFull) {
    return new InsufficientStorage('storage_full', error.message, { cause: error.cause });
  }
  if (error instanceof StorageUnavailable) {
    res.setHeader('Retry-After', '5');
    return new Unavailable('storage_unavailable', error.message, { cause: error.cause });
  }
  if (error instanceof Error && MALFORMED.test(error.message)) {
    const detail = `is not valid multipart/form-data: ${error.message}`;
    return new Invalid([{ field: '(body)', detail }], { code: 'multipart_invalid' });
  }
  return error;
}

export function translateErrors(limits: {
  maxFileSize: number;
  maxFields: number;
}): ErrorRequestHandler {
  return (thrown, req, res, next) => {
    // A write that failed reaches here raw when multer hears of it first (from the part's stream).
    const error = translate(storageError(thrown), res, limits);
    if (req.complete || !req.readable) {
      next(error);
      return;
    }
    // A body declared beyond the limit is not worth reading: answer, then close after a short
    // linger (the client may not see the answer before its write fails: that is the trade).
    if (error instanceof TooLarge) {
      res.setHeader('Connection', 'close');
      res.once('finish', () => dropRestOfBody(req));
      next(error);
      return;
    }
    // Any other answer before the body was read (409, a bad key): read and drop the rest
    // first, within the limits multer applies anyway, so that the client, still sending, reads
    // the answer rather than a reset, and the connection stays usable.
    let answered = false;
    const answer = () => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      next(error);
    };
    const timer = setTimeout(() => {
      res.setHeader('Connection', 'close');
      answer();
    }, DRAIN_MS);
    req.once('end', answer);
    req.once('close', answer);
    req.resume();
  };
}
