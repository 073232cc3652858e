import { randomUUID } from 'node:crypto';
import { parseOrThrow } from '@quadrants/service-kit';
import express, { type Router } from 'express';
import type { LedgerStore } from '../data/ledger-store.ts';
import { makeTransfer, TransferRefused } from '../domain/ledger.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { refusedAsProblem, transferNotFound } from './errors.ts';
import { idempotentPost } from './idempotent.ts';
import { IdParam, TransferBody, TransfersQuery } from './schemas.ts';

const DEFAULT_PAGE = 50;

/** Transfers: make one (exactly once per Idempotency-Key), read one, list them. */
export function transfersRoutes(store: LedgerStore): Router {
  const router = express.Router();
  router.post(
    '/transfers',
    idempotentPost({
      store,
      body: TransferBody,
      async write(ledger, body) {
        const transfer = await makeTransfer(ledger, body, randomUUID);
        return { status: 201, headers: { Location: `/transfers/${transfer.id}` }, body: transfer };
      },
      asProblem: (error) =>
        error instanceof TransferRefused ? refusedAsProblem(error) : undefined,
    }),
  );
  router.get('/transfers/:id', async (req, res) => {
    const { id } = parseOrThrow(IdParam, req.params, 'path');
    const transfer = await store.getTransfer(id);
    if (!transfer) throw transferNotFound(id);
    res.set('Cache-Control', 'no-store').json(transfer);
  });
  router.get('/transfers', async (req, res) => {
    const query = parseOrThrow(TransfersQuery, req.query);
    const page = await store.listTransfers({
      limit: query.limit ?? DEFAULT_PAGE,
      before: decodeCursor(query.cursor),
      accountId: query.accountId,
    });
    res.set('Cache-Control', 'no-store').json({
      transfers: page.items,
      nextCursor: page.next === undefined ? null : encodeCursor(page.next),
    });
  });
  return router;
}
