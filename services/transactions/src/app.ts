import { createServiceApp, type ServiceKit } from '@quadrants/service-kit';
import express, { type Express } from 'express';
import type { LedgerStore } from './data/ledger-store.ts';
import { accountsRoutes } from './http/accounts-routes.ts';
import { translateErrors } from './http/errors.ts';
import { openApiDocument } from './http/openapi.ts';
import { transfersRoutes } from './http/transfers-routes.ts';

export interface AppDeps extends ServiceKit {
  store: LedgerStore;
}

/**
 * Builds transactions' express app. Its readiness checks (PostgreSQL answers, the schema is
 * migrated) are registered by main.ts beside the pool they test.
 */
export function createApp({ store, stopping: _stopping, ...kit }: AppDeps): Express {
  const routes = express.Router();
  routes.use(transfersRoutes(store));
  routes.use(accountsRoutes(store));
  routes.use(translateErrors);
  return createServiceApp({ ...kit, routes, openapi: openApiDocument() });
}
