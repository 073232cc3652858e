import express, { type Express, type RequestHandler, type Router } from 'express';
import helmet from 'helmet';
import {
  Invalid,
  MethodNotAllowed,
  NotFound,
  problemHandler,
  UnsupportedMediaType,
} from './errors.ts';
import { useRequestLogging } from './logging.ts';
import { type OpenApiDocument, openApiRoutes } from './openapi.ts';
import type { ServiceKit } from './service.ts';

export interface ServiceAppOptions extends Omit<ServiceKit, 'stopping'> {
  /** The service's own routes, mounted after the kit's and before the error handlers. */
  routes: Router;
  /** Served at /openapi.json, with an interactive reference at /docs and links at /. */
  openapi?: OpenApiDocument;
  /**
   * Routes that read their body themselves, as a stream, keyed `METHOD /path`, with the media
   * types each takes: `{ 'POST /convert/stream': ['application/x-ndjson'] }`. Their bodies pass
   * unparsed and without the JSON size limit; any other type answers 415. Every other route's
   * body must be JSON (415 otherwise), parsed within `bodyLimit` (413 beyond).
   */
  bodyStreams?: Readonly<Record<string, readonly string[]>>;
}

function hasBody(req: express.Request): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/**
 * `METHOD /path` as the router matches it: case-insensitive, a trailing slash ignored, so that
 * POST /Uploads/ streams like POST /uploads rather than being taken for JSON.
 */
function routeKey(method: string, path: string): string {
  return `${method} ${path.toLowerCase().replace(/(.)\/+$/, '$1')}`;
}

function bodies(options: ServiceAppOptions): RequestHandler {
  const streams = Object.fromEntries(
    Object.entries(options.bodyStreams ?? {}).map(([route, types]) => {
      const [method = '', path = ''] = route.split(' ');
      return [routeKey(method, path), types];
    }),
  );
  const json = express.json({ limit: options.bodyLimit, strict: false, type: () => true });
  return (req, res, next) => {
    if (!hasBody(req)) {
      next();
      return;
    }
    const types = streams[routeKey(req.method, req.path)];
    if (!req.is(types ? [...types] : ['json'])) {
      const named = (types ?? ['application/json']).join(' or ');
      next(new UnsupportedMediaType('unsupported_media_type', `send the body as ${named}`));
      return;
    }
    if (types) next();
    else json(req, res, next);
  };
}

/** The slice of express's router layers this needs: stateless `match` (router ≥ 2.2). */
interface RouterLayer {
  match(path: string): false | { path: string };
  route?: { methods: Record<string, boolean | undefined> };
  handle: { stack?: RouterLayer[] };
}

function collectMethods(stack: readonly RouterLayer[], path: string, into: Set<string>): void {
  for (const layer of stack) {
    const matched = layer.match(path);
    if (!matched) continue;
    if (layer.route) {
      for (const [method, on] of Object.entries(layer.route.methods)) {
        if (on && method !== '_all') into.add(method.toUpperCase());
      }
    } else if (layer.handle.stack) {
      collectMethods(layer.handle.stack, path.slice(matched.path.length) || '/', into);
    }
  }
}

/** 405 with `Allow` where the path is served under other methods; 404 where it is not at all. */
function unmatched(routers: readonly Router[]): RequestHandler {
  return (req, _res, next) => {
    const allow = new Set<string>();
    for (const router of routers) {
      collectMethods((router as unknown as { stack: RouterLayer[] }).stack, req.path, allow);
    }
    if (allow.has('GET')) allow.add('HEAD');
    if (allow.size > 0 && !allow.has(req.method)) {
      next(new MethodNotAllowed(req.method, req.path, [...allow].sort()));
      return;
    }
    next(new NotFound('route_not_found', `no route for ${req.method} ${req.path}`));
  };
}

/**
 * The express app every service shares: security headers, request logs with ids, metrics,
 * health endpoints, the OpenAPI document and its reference, bodies checked by type and size,
 * 405 and 404 answered as such, and problem+json for every error. It never listens; main.ts does.
 */
export function createServiceApp(options: ServiceAppOptions): Express {
  const { log, metrics, health } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use(helmet());
  useRequestLogging(app, log);
  app.use(metrics.middleware);
  app.use((req, res, next) => {
    // While draining, ask keep-alive clients to reconnect (elsewhere) after this response.
    if (health.shuttingDown) res.setHeader('Connection', 'close');
    // HTTP/1.1 requires Host (RFC 9112 §3.2); the server lets it through to answer it here.
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      next(new Invalid([{ field: 'Host', detail: 'is required in HTTP/1.1' }]));
      return;
    }
    next();
  });

  const kitRoutes = express.Router();
  kitRoutes.use(health.router);
  kitRoutes.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  if (options.openapi) kitRoutes.use(openApiRoutes(options.openapi));

  // Entered only for its own paths: a router that matches nothing leaves through setImmediate,
  // a turn of the event loop on every one of the service's requests.
  const kitPaths = new Set(['/healthz', '/readyz', '/metrics']);
  if (options.openapi) for (const path of ['/', '/openapi.json', '/docs']) kitPaths.add(path);
  app.use((req, res, next) => {
    if (kitPaths.has(req.path) || (options.openapi && req.path.startsWith('/docs/'))) {
      kitRoutes(req, res, next);
    } else {
      next();
    }
  });
  app.use(bodies(options));
  app.use(options.routes);
  app.use(unmatched([kitRoutes, options.routes]));
  app.use(problemHandler);
  return app;
}
