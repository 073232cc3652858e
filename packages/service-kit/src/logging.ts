import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { type Logger, pino } from 'pino';
import { pinoHttp } from 'pino-http';

export type { Logger } from 'pino';

export interface LoggerOptions {
  service: string;
  level: string;
  /** Pretty-print for a person; defaults to whether stdout is a terminal. */
  pretty?: boolean;
  /** Where lines go; stdout unless a test wants to read them. */
  destination?: NodeJS.WritableStream;
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
  const settings = { name: options.service, level: options.level };
  if (options.destination) return pino(settings, options.destination);
  return pino({
    ...settings,
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true } } } : {}),
  });
}

// A caller's id is kept only when it looks like one: it ends up in every log line.
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Logs each request once and gives every line logged through `req.log` the request id. */
export function requestLogger(log: Logger) {
  return pinoHttp({
    logger: log,
    genReqId(req: IncomingMessage, res: ServerResponse) {
      const offered = req.headers['x-request-id'];
      const id = typeof offered === 'string' && REQUEST_ID.test(offered) ? offered : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    // A line per request says what was asked and answered, not every header.
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel(_req, res, error) {
      if (error || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      return 'info';
    },
    // Probes and scrapes arrive every few seconds; their lines would drown the rest.
    autoLogging: { ignore: (req) => ['/healthz', '/readyz', '/metrics'].includes(req.url ?? '') },
    // Lines logged through req.log carry only the request id, not the whole request.
    quietReqLogger: true,
  });
}
