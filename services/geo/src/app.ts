import { createServiceApp, type ServiceKit } from '@quadrants/service-kit';
import express, { type Express } from 'express';
import { type ConvertLimits, convertRoutes } from './http/convert-routes.ts';
import { crsRoutes } from './http/crs-routes.ts';
import { geodesicRoutes } from './http/geodesic-routes.ts';
import { openApiDocument } from './http/openapi.ts';

export interface AppDeps extends ServiceKit {
  limits: ConvertLimits;
}

/** Builds geo's express app. It has no dependencies to check: it is ready once it listens. */
export function createApp({ limits, stopping, ...kit }: AppDeps): Express {
  const routes = express.Router();
  // Busiest first: each router a request passes through unmatched costs a turn of the loop.
  routes.use(convertRoutes(limits, stopping));
  routes.use(geodesicRoutes());
  routes.use(crsRoutes());
  return createServiceApp({
    ...kit,
    routes,
    openapi: openApiDocument(),
    bodyStreams: { 'POST /convert/stream': ['application/x-ndjson'] },
  });
}
