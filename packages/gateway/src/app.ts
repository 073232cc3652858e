// One origin for the browser under `pnpm start`: `/api/<service>/<rest>` goes to that service at
// `/<rest>`, everything else to static-site, so the page needs no CORS and no second origin.
// compose puts nginx in this place and kind the Gateway API; this is their stand-in for a
// machine without containers (docs/decisions/0011-one-origin.md). It reads no body and changes
// no header but the trace's: requests and answers stream through as they are.
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  AppError,
  formatTraceparent,
  type Health,
  type Logger,
  NotFound,
  PROBLEM_CONTENT_TYPE,
  problemDocument,
  problemHandler,
  useRequestLogging,
} from '@quadrants/service-kit';
import express, { type Express, type Request } from 'express';
import {
  createProxyMiddleware,
  debugProxyErrorsPlugin,
  proxyEventsPlugin,
} from 'http-proxy-middleware';
import { ROUTE_NAME } from './config.ts';

/** The services behind `/api/<name>/`, each at its base URL; static-site takes the rest. */
export interface Upstreams {
  services: Readonly<Record<string, string>>;
  site: string;
}

export interface GatewayOptions {
  log: Logger;
  health: Health;
  upstreams: Upstreams;
  /** Longest wait for an upstream's answer to begin, in ms; past it, 504. */
  upstreamTimeoutMs: number;
}

class BadGateway extends AppError {
  readonly status = 502;
  readonly title = 'Bad gateway';
}

class GatewayTimeout extends AppError {
  readonly status = 504;
  readonly title = 'Gateway timeout';
}

/** The problem an upstream's failure is to the browser: whom it could not reach, and how. */
function upstreamProblem(error: NodeJS.ErrnoException, upstream: string): AppError {
  if (error.code === 'ECONNRESET' && error.message === 'socket hang up') {
    return new BadGateway('upstream_reset', `${upstream} closed the connection before answering`);
  }
  if (error.code === 'ETIMEDOUT') {
    return new GatewayTimeout('upstream_timeout', `${upstream} did not answer in time`);
  }
  return new BadGateway(
    'upstream_unavailable',
    `${upstream} is not reachable (${error.code ?? error.message}): is it running?`,
  );
}

function proxyTo(name: string, target: string, prefix: string, options: GatewayOptions) {
  return createProxyMiddleware({
    target,
    // X-Forwarded-For/-Host/-Proto tell the service who asked, and where.
    xfwd: true,
    // The default plugins would answer an error with text/plain and log through console.
    ejectPlugins: true,
    plugins: [debugProxyErrorsPlugin, proxyEventsPlugin],
    on: {
      // The trace goes on with the gateway's own span as the parent, as any hop of W3C Trace
      // Context does.
      proxyReq(proxyReq, req) {
        const { id, trace } = req as Request;
        proxyReq.setHeader('traceparent', formatTraceparent(trace));
        // The caller's X-Request-Id when it looked like one, else the gateway's: one id for the
        // request on both sides of the hop.
        proxyReq.setHeader('x-request-id', id);
        // Where the service sits on this origin, for the links it writes (its API reference's
        // server): /api/geo. The site is at the root and gets none.
        if (prefix) proxyReq.setHeader('x-forwarded-prefix', prefix);
        else proxyReq.removeHeader('x-forwarded-prefix');
        // httpxy's own proxyTimeout ends the request with no error of its own, so that a
        // timeout reads as a reset; this one says what it was.
        proxyReq.setTimeout(options.upstreamTimeoutMs, () => {
          proxyReq.destroy(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' }));
        });
      },
      error(error: NodeJS.ErrnoException, incoming, res) {
        // express's own request: the middleware runs inside the app
        const req = incoming as Request;
        const response = res as ServerResponse | Socket;
        if (!('writeHead' in response)) {
          response.destroy();
          return;
        }
        if (response.headersSent) {
          // The answer had begun: the client learns of the cut from the connection, not a body.
          req.log.warn({ err: error, upstream: name, target }, `${name}'s answer broke off`);
          response.destroy();
          return;
        }
        const problem = upstreamProblem(error, name);
        req.log.warn({ err: error, upstream: name, target }, problem.message);
        const document = {
          ...problemDocument(problem, req.originalUrl),
          traceId: req.trace.traceId,
        };
        response.writeHead(problem.status, { 'content-type': PROBLEM_CONTENT_TYPE });
        response.end(JSON.stringify(document));
      },
    },
  });
}

/** The gateway's express app: its probes under `/_gateway/`, then the routes to the services. */
export function createGatewayApp(options: GatewayOptions): Express {
  const { log, health, upstreams } = options;
  for (const name of Object.keys(upstreams.services)) {
    if (!ROUTE_NAME.test(name)) throw new Error(`not a service name: ${name}`);
  }
  const app = express();
  app.disable('x-powered-by');
  // Redirects and trailing slashes are the services' to decide: the gateway changes no path.
  app.set('strict routing', true);
  useRequestLogging(app, log);
  // Its own probes, never forwarded: /healthz on the gateway would otherwise be static-site's.
  app.use('/_gateway', health.router);
  app.use('/_gateway', (req, _res, next) => {
    next(
      new NotFound(
        'route_not_found',
        `the gateway has /_gateway/healthz and /_gateway/readyz, not ${req.originalUrl}`,
      ),
    );
  });
  for (const [name, target] of Object.entries(upstreams.services)) {
    app.use(`/api/${name}`, proxyTo(name, target, `/api/${name}`, options));
  }
  // `/api/` is the services' namespace: a name none of them has is not the site's to answer.
  app.use('/api', (req, _res, next) => {
    const name = req.path.split('/')[1] ?? '';
    const known = Object.keys(upstreams.services).join(', ');
    next(
      new NotFound(
        'service_not_found',
        name === ''
          ? `/api/ takes a service's name: ${known}`
          : `no service named "${name}" behind /api/: ${known}`,
      ),
    );
  });
  app.use(proxyTo('static-site', upstreams.site, '', options));
  app.use(problemHandler);
  return app;
}
