import { createServiceApp, type Health, type Logger, type Metrics } from '@quadrants/service-kit';
import express, { type Express } from 'express';
import { convertRoutes } from './http/convert-routes.ts';
import { openApiRoutes } from './http/openapi.ts';

export interface AppDeps {
  log: Logger;
  metrics: Metrics;
  health: Health;
  bodyLimit: string;
}

/** Builds geo's express app. It has no dependencies to check: it is ready once it listens. */
export function createApp(deps: AppDeps): Express {
  const routes = express.Router();
  routes.use(openApiRoutes());
  routes.use(convertRoutes());
  return createServiceApp({ ...deps, routes });
}
