// transactions' own errors, as the kit's typed errors: the kit's one middleware turns them
// into problem+json. `translateErrors` sits at the end of the service's routes and maps what
// the domain and the database throw.
import { AppError, Conflict, NotFound, Unavailable, Unprocessable } from '@quadrants/service-kit';
import type { ErrorRequestHandler } from 'express';
import { isUnavailable } from '../data/database.ts';
import { KeyInUse, KeyReused } from '../domain/idempotency.ts';
import { AccountReferenceTaken, TransferRefused } from '../domain/ledger.ts';

/** 400 about the Idempotency-Key header, with a code of its own (missing or invalid). */
export class BadIdempotencyKey extends AppError {
  readonly status = 400;
  readonly title = 'Invalid request';

  constructor(problem: 'missing' | 'invalid') {
    super(
      `idempotency_key_${problem}`,
      problem === 'missing'
        ? 'the Idempotency-Key header is required on every POST: a unique value per request, such as a UUID, sent again unchanged on a retry'
        : 'the Idempotency-Key header must be one value of 1–255 visible ASCII characters',
      { extensions: { errors: [{ field: 'Idempotency-Key', detail: `is ${problem}` }] } },
    );
  }
}

export const accountNotFound = (id: string) =>
  new NotFound('account_not_found', `no account has id ${id}`);
export const transferNotFound = (id: string) =>
  new NotFound('transfer_not_found', `no transfer has id ${id}`);

/** A refused transfer as the 422 the client gets (and a replay gets again). */
export const refusedAsProblem = (error: TransferRefused) =>
  new Unprocessable([{ field: error.field, detail: error.message }], { code: error.code });

/** How soon a client may try again after a 409 or a 503: one second. */
const RETRY_AFTER_SECONDS = '1';

export const translateErrors: ErrorRequestHandler = (error, _req, res, next) => {
  if (error instanceof KeyInUse) {
    res.setHeader('Retry-After', RETRY_AFTER_SECONDS);
    next(new Conflict('idempotency_key_in_use', error.message));
  } else if (error instanceof KeyReused) {
    next(
      new Unprocessable([{ field: 'Idempotency-Key', detail: error.message }], {
        code: 'idempotency_key_reused',
      }),
    );
  } else if (error instanceof AccountReferenceTaken) {
    // Not stored under the key (nothing was written): a retry asks again, and still conflicts.
    res.setHeader('Location', `/accounts/${error.accountId}`);
    next(
      new Conflict('account_reference_taken', error.message, {
        extensions: { errors: [{ field: 'reference', detail: 'is taken' }] },
      }),
    );
  } else if (error instanceof TransferRefused) {
    next(refusedAsProblem(error));
  } else if (isUnavailable(error)) {
    res.setHeader('Retry-After', RETRY_AFTER_SECONDS);
    next(
      new Unavailable(
        'database_unavailable',
        'the ledger database cannot be reached; retry with the same Idempotency-Key (a write that did commit is then replayed, not repeated)',
        { cause: error },
      ),
    );
  } else {
    next(error);
  }
};
