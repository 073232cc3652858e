import express, { type Express, type RequestHandler, type Router } from 'express';
import helmet from 'helmet';
import { notFoundHandler, problemHandler, UnsupportedMediaType } from './errors.ts';
import type { Health } from './health.ts';
import { type Logger, requestLogger } from './logging.ts';
import type { Metrics } from './metrics.ts';

export interface ServiceAppOptions {
  log: Logger;
  metrics: Metrics;
  health: Health;
  /** Largest JSON body accepted, e.g. `100kb`; larger ones answer 413. */
  bodyLimit: string;
  /** The service's own routes, mounted after the kit's and before the error handlers. */
  routes: Router;
}

const hasBody: RequestHandler = (req, _res, next) => {
  const declared =
    req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0';
  if ((declared || req.headers['transfer-encoding'] !== undefined) && !req.is('json')) {
    next(new UnsupportedMediaType('unsupported_media_type', 'send the body as application/json'));
    return;
  }
  next();
};

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
  app.use(requestLogger(log));
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
  app.use(hasBody);
  app.use(express.json({ limit: options.bodyLimit, strict: false }));
  app.use(options.routes);
  app.use(notFoundHandler);
  app.use(problemHandler);
  return app;
}
