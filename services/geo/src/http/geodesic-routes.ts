import { parseOrThrow } from '@quadrants/service-kit';
import express, { type Router } from 'express';
import { direct, inverse } from '../domain/geodesic.ts';
import { sendCacheable } from './cacheable.ts';
import {
  GeodesicDirectBody,
  GeodesicDirectQuery,
  GeodesicInverseBody,
  GeodesicInverseQuery,
} from './schemas.ts';

type InverseInput = { lat1: number; lon1: number; lat2: number; lon2: number };
type DirectInput = { lat1: number; lon1: number; azimuth1: number; distance: number };

const solveInverse = (p: InverseInput) =>
  inverse({ lat: p.lat1, lon: p.lon1 }, { lat: p.lat2, lon: p.lon2 });
const solveDirect = (p: DirectInput) =>
  direct({ lat: p.lat1, lon: p.lon1 }, p.azimuth1, p.distance);

/** Geodesics on the WGS84 ellipsoid: the inverse and the direct problem. */
export function geodesicRoutes(): Router {
  const router = express.Router();
  router.get('/geodesic/inverse', (req, res) => {
    sendCacheable(req, res, solveInverse(parseOrThrow(GeodesicInverseQuery, req.query)));
  });
  router.post('/geodesic/inverse', (req, res) => {
    res.json(solveInverse(parseOrThrow(GeodesicInverseBody, req.body)));
  });
  router.get('/geodesic/direct', (req, res) => {
    sendCacheable(req, res, solveDirect(parseOrThrow(GeodesicDirectQuery, req.query)));
  });
  router.post('/geodesic/direct', (req, res) => {
    res.json(solveDirect(parseOrThrow(GeodesicDirectBody, req.body)));
  });
  return router;
}
