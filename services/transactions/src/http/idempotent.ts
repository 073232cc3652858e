// POST with an Idempotency-Key: validate the key and the body, then let the store run the write
// once per key and answer every repeat with the stored response.
import {
  AppError,
  PROBLEM_CONTENT_TYPE,
  parseOrThrow,
  problemDocument,
} from '@quadrants/service-kit';
import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import type { LedgerStore } from '../data/ledger-store.ts';
import { fingerprint, keyProblem, type StoredResponse } from '../domain/idempotency.ts';
import type { LedgerTransaction } from '../domain/ledger.ts';
import { BadIdempotencyKey } from './errors.ts';

export interface IdempotentPost<Schema extends z.ZodType> {
  store: LedgerStore;
  body: Schema;
  /**
   * The write, inside the key's transaction. What it returns, or an AppError with a 4xx
   * status it throws (a refused transfer), is stored and replayed; anything else rolls back.
   */
  write(ledger: LedgerTransaction, body: z.output<Schema>, req: Request): Promise<StoredResponse>;
  /** Mapped to an AppError before storing: the domain's own refusals. */
  asProblem?(error: unknown): AppError | undefined;
}

function send(res: Response, { status, headers, body }: StoredResponse, replayed: boolean) {
  res.status(status).set(headers);
  if (replayed) res.setHeader('Idempotent-Replayed', 'true');
  res.json(body);
}

export function idempotentPost<Schema extends z.ZodType>(
  options: IdempotentPost<Schema>,
): RequestHandler {
  return async (req, res) => {
    const key = req.headers['idempotency-key'];
    const problem = keyProblem(key);
    if (problem) throw new BadIdempotencyKey(problem);
    const body = parseOrThrow(options.body, req.body ?? {});
    // Scoped per route: the same key on POST /accounts and POST /transfers are two keys.
    const scope = `${req.method} ${req.baseUrl}${req.route?.path ?? req.path}`;
    const outcome = await options.store.idempotently(
      scope,
      key as string,
      fingerprint(body),
      async (ledger) => {
        try {
          return await options.write(ledger, body, req);
        } catch (error) {
          const known = options.asProblem?.(error) ?? error;
          if (!(known instanceof AppError) || known.status >= 500) throw error;
          return {
            status: known.status,
            headers: { 'Content-Type': PROBLEM_CONTENT_TYPE },
            body: problemDocument(known, req.originalUrl),
          };
        }
      },
    );
    send(res, outcome.response, outcome.replayed);
  };
}
