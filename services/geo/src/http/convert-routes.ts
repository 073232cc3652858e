import { parseOrThrow } from '@quadrants/service-kit';
import express, { type Router } from 'express';
import { convert } from '../domain/coordinates.ts';
import { PositionBody, type PositionInput, PositionQuery } from './schemas.ts';

function answer({ precision, ...position }: PositionInput) {
  return convert(position, { mgrsPrecision: precision });
}

export function convertRoutes(): Router {
  const router = express.Router();

  router.get('/convert', (req, res) => {
    const conversion = answer(parseOrThrow(PositionQuery, req.query));
    // The same question always has the same answer: let caches keep it.
    res.set('Cache-Control', 'public, max-age=86400, immutable').json(conversion);
  });

  router.post('/convert', (req, res) => {
    res.json(answer(parseOrThrow(PositionBody, req.body)));
  });

  return router;
}
