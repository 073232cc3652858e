// basket's own errors, as the kit's typed errors: `translateErrors` sits at the end of the
// service's routes and maps what the domain and the stores throw; the kit's one middleware
// turns them into problem+json.
import {
  AppError,
  InsufficientStorage,
  NotFound,
  PreconditionFailed,
  Unavailable,
  Unprocessable,
} from '@quadrants/service-kit';
import type { ErrorRequestHandler } from 'express';
import {
  BasketNotFound,
  BasketRefused,
  LineNotFound,
  StoreFull,
  StoreUnavailable,
  VersionMismatch,
} from '../domain/basket.ts';

/** 400 about a conditional header, with a code of its own. */
export class BadPrecondition extends AppError {
  readonly status = 400;
  readonly title = 'Invalid request';

  constructor(header: string, detail: string) {
    super(`${header.toLowerCase().replaceAll('-', '_')}_invalid`, `${header}: ${detail}`, {
      extensions: { errors: [{ field: header, detail }] },
    });
  }
}

/** How soon a client may try again after a 503: one second. */
const RETRY_AFTER_SECONDS = '1';

export const translateErrors: ErrorRequestHandler = (error, req, res, next) => {
  if (error instanceof BasketRefused) {
    next(new Unprocessable([{ field: error.field, detail: error.message }], { code: error.code }));
  } else if (error instanceof BasketNotFound) {
    next(new NotFound('basket_not_found', error.message));
  } else if (error instanceof LineNotFound) {
    next(new NotFound('line_not_found', error.message));
  } else if (error instanceof VersionMismatch) {
    res.setHeader('ETag', `"${error.current}"`);
    next(
      new PreconditionFailed('basket_version_mismatch', error.message, {
        extensions: { currentVersion: error.current },
      }),
    );
  } else if (error instanceof StoreFull) {
    next(new InsufficientStorage('basket_store_full', error.message, { cause: error.cause }));
  } else if (error instanceof StoreUnavailable) {
    res.setHeader('Retry-After', RETRY_AFTER_SECONDS);
    next(
      new Unavailable(
        'store_unavailable',
        req.method === 'GET' || req.method === 'HEAD'
          ? 'the basket store cannot be reached; retry after Retry-After seconds'
          : 'the basket store cannot be reached; the change may or may not have been applied, so retry it with If-Match set to the version you last saw',
        { cause: error.cause },
      ),
    );
  } else {
    next(error);
  }
};
