import { createServiceApp, type ServiceKit } from '@quadrants/service-kit';
import type { Express } from 'express';
import type { BasketStore } from './data/basket-store.ts';
import { basketsRoutes } from './http/baskets-routes.ts';
import { translateErrors } from './http/errors.ts';
import { openApiDocument } from './http/openapi.ts';

export interface AppDeps extends ServiceKit {
  store: BasketStore;
  /** BASKET_IDLE_SECONDS in ms, for the expiresAt each answer shows. */
  idleMs: number;
}

/**
 * Builds basket's express app on either store. Its readiness check (Redis answers) is
 * registered by main.ts beside the client it tests.
 */
export function createApp({ store, idleMs, stopping: _stopping, ...kit }: AppDeps): Express {
  const routes = basketsRoutes({ store, idleMs });
  routes.use(translateErrors);
  return createServiceApp({ ...kit, routes, openapi: openApiDocument() });
}
