import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Express as ExpressApp, Request, RequestHandler } from 'express';
import { type DestinationStream, type Logger, pino } from 'pino';
import { createTraceContexts, formatTraceparent, type TraceContext } from './trace.ts';

export type { Logger } from 'pino';

export interface LoggerOptions {
  service: string;
  level: string;
  /** Pretty-print for a person; defaults to whether stdout is a terminal. */
  pretty?: boolean;
  /** Where lines go; stdout unless a test or a benchmark wants them elsewhere. */
  destination?: DestinationStream;
}

function prettyAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/** JSON lines for machines; pino-pretty only on a terminal (and only where it is installed). */
export function createLogger(options: LoggerOptions): Logger {
  const pretty = (options.pretty ?? process.stdout.isTTY === true) && prettyAvailable();
  const settings = {
    name: options.service,
    level: options.level,
    // A client's error may carry the command it failed on, arguments and all: ioredis's failed
    // handshake is HELLO 3 AUTH <user> <password>. The command's name stays, to say what failed.
    redact: { paths: ['err.command.args'], censor: '(hidden)' },
  };
  if (options.destination) return pino(settings, options.destination);
  if (pretty) {
    return pino({ ...settings, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  // Synchronous writes: pino's default stdout stream writes asynchronously and flushes the
  // rest synchronously at exit, so the line in flight when a shutdown exits landed after the
  // lines behind it, or was lost (lifecycle.test.ts caught it on a busy machine). Only
  // warnings and failures are written per request (decision 0004), so the cost stays small.
  return pino(settings, pino.destination({ dest: 1, sync: true }));
}

// A caller's id is kept only when it looks like one: it ends up in every log line.
const REQUEST_ID = /^[\w.:-]{1,128}$/;

// Probes and scrapes arrive every few seconds; their lines would drown the rest.
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

declare global {
  namespace Express {
    interface Request {
      /** This request's id: the caller's X-Request-Id when it looks like one, else a UUID. */
      id: string;
      /** Its W3C trace context: the caller's trace-id (or a new one) and its own span. */
      trace: TraceContext;
      /** A logger whose every line carries this request's id and trace. */
      log: Logger;
    }
  }
}

const childLogger = Symbol('request logger');

interface WithChildLogger {
  [childLogger]?: Logger;
}

/** What every line about a request carries: its id and its trace. */
function requestFields(id: string, trace: TraceContext): Record<string, string> {
  const fields: Record<string, string> = {
    reqId: id,
    traceId: trace.traceId,
    spanId: trace.spanId,
  };
  if (trace.parentId !== undefined) fields.parentId = trace.parentId;
  return fields;
}

/**
 * Gives each request of `app` an id (the caller's X-Request-Id when it looks like one, echoed
 * back), a trace context (the caller's `traceparent` when valid, else a new trace; answered
 * with `traceparent` carrying the request's own span), a `req.log` whose lines carry the id
 * and the trace, and one line when it is answered, with the same fields: at debug for
 * success, warn for 4xx and aborted requests, error for 5xx. Successes stay at debug because
 * bench/geo measured a line per request as the largest cost of the kit; the metrics count
 * every request, and LOG_LEVEL=debug shows each one. `req.log` is a getter on the app's
 * request prototype, made on first use, so requests that never log pay nothing for it.
 */
export function useRequestLogging(app: ExpressApp, log: Logger): void {
  Object.defineProperty(app.request, 'log', {
    get(this: Request & WithChildLogger) {
      this[childLogger] ??= log.child(requestFields(this.id, this.trace));
      return this[childLogger];
    },
    configurable: true,
  });
  app.use(requestLogger(log));
}

function requestLogger(log: Logger): RequestHandler {
  const traceOf = createTraceContexts();
  return (req, res, next) => {
    const offered = req.headers['x-request-id'];
    const id = typeof offered === 'string' && REQUEST_ID.test(offered) ? offered : randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    // An invalid traceparent is not the request's fault: it starts a new trace, never a 400.
    const trace = traceOf(req.headers.traceparent);
    req.trace = trace;
    res.setHeader('traceparent', formatTraceparent(trace));
    if (QUIET_PATHS.has(req.path)) {
      next();
      return;
    }

    const started = performance.now();
    // One listener: a response emits 'close' once, after 'finish' when it was answered, alone
    // when the connection went first; writableFinished tells the two apart.
    res.once('close', () => {
      const finished = res.writableFinished;
      const status = res.statusCode;
      const level = status >= 500 ? 'error' : status >= 400 || !finished ? 'warn' : 'debug';
      if (!log.isLevelEnabled(level)) return;
      log[level](
        {
          ...requestFields(id, trace),
          req: { method: req.method, url: req.originalUrl },
          res: { statusCode: status },
          responseTime: Math.round((performance.now() - started) * 1000) / 1000,
        },
        finished ? 'request completed' : 'request aborted',
      );
    });
    next();
  };
}
