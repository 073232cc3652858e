import { randomUUID } from 'node:crypto';
import { parseOrThrow } from '@quadrants/service-kit';
import express, { type Router } from 'express';
import type { LedgerStore } from '../data/ledger-store.ts';
import { openAccount } from '../domain/ledger.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { accountNotFound } from './errors.ts';
import { idempotentPost } from './idempotent.ts';
import { AccountsQuery, IdParam, NewAccountBody, PageQuery } from './schemas.ts';

const DEFAULT_PAGE = 50;

/** Accounts: open one (with its opening balance), find one by reference, read it, its entries. */
export function accountsRoutes(store: LedgerStore): Router {
  const router = express.Router();
  router.post(
    '/accounts',
    idempotentPost({
      store,
      body: NewAccountBody,
      async write(ledger, body) {
        const account = await openAccount(ledger, body, randomUUID);
        return { status: 201, headers: { Location: `/accounts/${account.id}` }, body: account };
      },
    }),
  );
  router.get('/accounts', async (req, res) => {
    const { reference } = parseOrThrow(AccountsQuery, req.query);
    const account = await store.findAccountByReference(reference);
    res.set('Cache-Control', 'no-store').json({ accounts: account ? [account] : [] });
  });
  router.get('/accounts/:id', async (req, res) => {
    const { id } = parseOrThrow(IdParam, req.params, 'path');
    const account = await store.getAccount(id);
    if (!account) throw accountNotFound(id);
    res.set('Cache-Control', 'no-store').json(account);
  });
  router.get('/accounts/:id/entries', async (req, res) => {
    const { id } = parseOrThrow(IdParam, req.params, 'path');
    const query = parseOrThrow(PageQuery, req.query);
    const page = await store.listEntries(id, {
      limit: query.limit ?? DEFAULT_PAGE,
      before: decodeCursor(query.cursor),
    });
    if (!page) throw accountNotFound(id);
    res.set('Cache-Control', 'no-store').json({
      entries: page.items,
      nextCursor: page.next === undefined ? null : encodeCursor(page.next),
    });
  });
  return router;
}
