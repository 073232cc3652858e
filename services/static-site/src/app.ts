import { createServiceApp, type ServiceKit } from '@quadrants/service-kit';
import type { Express } from 'express';
import type { Site } from './content/site.ts';
import { siteRoutes } from './http/site-routes.ts';

export interface AppDeps extends ServiceKit {
  /** The release being served, or undefined until the first complete one is loaded. */
  site: () => Site | undefined;
  spaFallback: boolean;
}

/**
 * Builds static-site's express app: the kit's endpoints (/healthz, /readyz, /metrics), the
 * release document at /_static/release, and the site itself for GET and HEAD.
 */
export function createApp({ site, spaFallback, stopping: _stopping, ...kit }: AppDeps): Express {
  return createServiceApp({ ...kit, routes: siteRoutes({ site, spaFallback }) });
}
