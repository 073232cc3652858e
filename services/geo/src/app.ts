import { createServiceApp, type Health, type Logger, type Metrics } from '@quadrants/service-kit';
import express, { type Express } from 'express';
import { type ConvertLimits, convertRoutes } from './http/convert-routes.ts';
import { crsRoutes } from './http/crs-routes.ts';
import { geodesicRoutes } from './http/geodesic-routes.ts';
import { openApiRoutes } from './http/openapi.ts';

export interface AppDeps {
  log: Logger;
  metrics: Metrics;
  health: Health;
  bodyLimit: string;
  limits: ConvertLimits;
}

/** Builds geo's express app. It has no dependencies to check: it is ready once it listens. */
export function createApp({ limits, ...deps }: AppDeps): Express {
  const routes = express.Router();
  routes.use(openApiRoutes());
  routes.use(crsRoutes());
  routes.use(convertRoutes(limits));
  routes.use(geodesicRoutes());
  return createServiceApp({ ...deps, routes, streamTypes: ['application/x-ndjson'] });
}
