import { parseOrThrow } from '@quadrants/service-kit';
import express, { type Request, type Response, type Router } from 'express';
import type { BasketStore } from '../data/basket-store.ts';
import { BASKET_ID } from '../data/basket-store.ts';
import { type BasketChange, BasketNotFound, present, type StoredBasket } from '../domain/basket.ts';
import { etagOf, ifMatch, noneMatch } from './conditional.ts';
import { AddLineBody, LineParams, NewBasketBody, SetQuantityBody } from './schemas.ts';

export interface BasketsRoutesOptions {
  store: BasketStore;
  /** BASKET_IDLE_SECONDS in ms: how far ahead expiresAt is from the last write. */
  idleMs: number;
  clock?: () => number;
}

/** Baskets: create one, read it, change its lines (each change one atomic store step), delete it. */
export function basketsRoutes({ store, idleMs, clock = Date.now }: BasketsRoutesOptions): Router {
  const router = express.Router();

  /** The basket id of the path; a malformed one can name no basket, so it is a 404 as well. */
  function basketId(req: Request): string {
    const id = String(req.params.id);
    if (!BASKET_ID.test(id)) throw new BasketNotFound(id);
    return id;
  }

  function send(res: Response, id: string, basket: StoredBasket, status = 200) {
    // A basket is one shopper's; no shared cache may keep it. Clients revalidate with the ETag.
    res
      .status(status)
      .set({ ETag: etagOf(basket.version), 'Cache-Control': 'no-store' })
      .json(present(id, basket, idleMs));
  }

  async function change(req: Request, res: Response, change: BasketChange) {
    const id = basketId(req);
    const precondition = ifMatch(req.get('If-Match'));
    const basket = await store.change(id, change, {
      ...(precondition === undefined ? {} : { precondition }),
      now: clock(),
    });
    send(res, id, basket);
  }

  router.post('/baskets', async (req, res) => {
    parseOrThrow(NewBasketBody, req.body);
    const { id, basket } = await store.create(clock());
    res.location(`/baskets/${id}`);
    send(res, id, basket, 201);
  });

  router.get('/baskets/:id', async (req, res) => {
    const id = basketId(req);
    const basket = await store.get(id);
    if (!basket) throw new BasketNotFound(id);
    if (noneMatch(req.get('If-None-Match'), basket.version)) {
      res
        .status(304)
        .set({ ETag: etagOf(basket.version), 'Cache-Control': 'no-store' })
        .end();
      return;
    }
    send(res, id, basket);
  });

  router.delete('/baskets/:id', async (req, res) => {
    const id = basketId(req);
    const precondition = ifMatch(req.get('If-Match'));
    await store.remove(id, precondition === undefined ? {} : { precondition });
    res.status(204).end();
  });

  router.post('/baskets/:id/lines', async (req, res) => {
    const body = parseOrThrow(AddLineBody, req.body);
    await change(req, res, { kind: 'addLine', ...body });
  });

  router.delete('/baskets/:id/lines', async (req, res) => {
    await change(req, res, { kind: 'clear' });
  });

  router.patch('/baskets/:id/lines/:sku', async (req, res) => {
    const { sku } = parseOrThrow(LineParams, req.params, 'path');
    const { quantity } = parseOrThrow(SetQuantityBody, req.body);
    await change(req, res, { kind: 'setQuantity', sku, quantity });
  });

  router.delete('/baskets/:id/lines/:sku', async (req, res) => {
    const { sku } = parseOrThrow(LineParams, req.params, 'path');
    await change(req, res, { kind: 'removeLine', sku });
  });

  return router;
}
