import express, { type Express, type RequestHandler, type Router } from 'express';
import helmet from 'helmet';
import { notFoundHandler, problemHandler, UnsupportedMediaType } from './errors.ts';
import type { Health } from './health.ts';
import { type Logger, useRequestLogging } from './logging.ts';
import type { Metrics } from './metrics.ts';

export interface ServiceAppOptions {
  log: Logger;
  metrics: Metrics;
  health: Health;
  /** Largest JSON body accepted, e.g. `100kb`; larger ones answer 413. */
  bodyLimit: string;
  /** The service's own routes, mounted after the kit's and before the error handlers. */
  routes: Router;
  /**
   * Media types the routes read as streams themselves (e.g. `application/x-ndjson`); they pass
   * unparsed and without the JSON size limit. Any other non-JSON body answers 415.
   */
  streamTypes?: readonly string[];
}

function onlyJsonBodies(streamTypes: readonly string[]): RequestHandler {
  const accepted = ['json', ...streamTypes];
  const named = ['application/json', ...streamTypes].join(' or ');
  return (req, _res, next) => {
    const length = req.headers['content-length'];
    const hasBody =
      (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
    if (hasBody && !req.is(accepted)) {
      next(new UnsupportedMediaType('unsupported_media_type', `send the body as ${named}`));
      return;
    }
    next();
  };
}

/**
 * The express app every service shares: security headers, request logs with ids, metrics,
 * health endpoints, JSON bodies with a size limit, and problem+json for every error.
 * It never listens; main.ts does.
 */
export function createServiceApp(options: ServiceAppOptions): Express {
  const { log, metrics, health } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use(helmet());
  useRequestLogging(app, log);
  app.use(metrics.middleware);
  app.use((_req, res, next) => {
    // While draining, ask keep-alive clients to reconnect (elsewhere) after this response.
    if (health.shuttingDown) res.setHeader('Connection', 'close');
    next();
  });
  app.use(health.router);
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use(onlyJsonBodies(options.streamTypes ?? []));
  app.use(express.json({ limit: options.bodyLimit, strict: false }));
  app.use(options.routes);
  app.use(notFoundHandler);
  app.use(problemHandler);
  return app;
}
