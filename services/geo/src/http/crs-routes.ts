import express, { type Router } from 'express';
import { systems } from '../domain/crs-catalog.ts';
import { sendCacheable } from './cacheable.ts';

export function crsRoutes(): Router {
  const router = express.Router();
  router.get('/crs', (req, res) => {
    sendCacheable(req, res, { systems });
  });
  return router;
}
