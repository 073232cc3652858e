import { createServiceApp, type ServiceKit } from '@quadrants/service-kit';
import type { Express } from 'express';
import type { KeyStore } from './data/key-store.ts';
import type { ObjectStore } from './data/object-store.ts';
import { translateErrors } from './http/errors.ts';
import { openApiDocument } from './http/openapi.ts';
import { uploadsRoutes } from './http/uploads-routes.ts';

export interface AppDeps extends ServiceKit {
  store: ObjectStore;
  keys: KeyStore;
  allowedTypes: readonly string[];
  maxFileSize: number;
  maxFields: number;
}

/**
 * Builds uploads' express app on its stores. POST /uploads reads its body itself, as a stream
 * (multipart/form-data); the volume's readiness check is registered by main.ts.
 */
export function createApp({
  store,
  keys,
  allowedTypes,
  maxFileSize,
  maxFields,
  stopping: _stopping,
  ...kit
}: AppDeps): Express {
  const routes = uploadsRoutes({ store, keys, allowedTypes, maxFileSize, maxFields });
  routes.use(translateErrors({ maxFileSize, maxFields }));
  return createServiceApp({
    ...kit,
    routes,
    openapi: openApiDocument(),
    bodyStreams: { 'POST /uploads': ['multipart/form-data'] },
  });
}
