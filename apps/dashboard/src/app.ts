// The dashboard's HTTP side: the page, the board as JSON and as a stream of server-sent events,
// and POST /api/faults to perform one. It can kill pods with its user's own credentials, so it
// answers only its own page: the Host must be the loopback address it listens on (no DNS
// rebinding), and a request a browser sends from any other origin is refused (no cross-site
// request can press a button). main.ts listens on 127.0.0.1 only.
import { readFileSync } from 'node:fs';
import {
  AppError,
  Conflict,
  createServiceApp,
  type Health,
  type Logger,
  type Metrics,
  parseOrThrow,
  Unprocessable,
} from '@quadrants/service-kit';
import express, { type Express, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import { FAULTS } from '../../../e2e/src/survival.ts';
import { type Board, Busy, UnknownFault } from './board.ts';

class Forbidden extends AppError {
  readonly status = 403;
  readonly title = 'Forbidden';
}

export interface DashboardAppOptions {
  board: Board;
  log: Logger;
  metrics: Metrics;
  health: Health;
  /** Aborted on shutdown: every open event stream ends, so that the server can close. */
  stopping: AbortSignal;
}

/** How many pages may follow the board at once: each holds one stream open. */
const MAX_STREAMS = 32;

const page = (name: string) => readFileSync(new URL(`../public/${name}`, import.meta.url));
const files = {
  '/': { type: 'text/html; charset=utf-8', body: page('index.html') },
  '/dashboard.js': { type: 'text/javascript; charset=utf-8', body: page('dashboard.js') },
  '/dashboard.css': { type: 'text/css; charset=utf-8', body: page('dashboard.css') },
} as const;

const faultBody = z.strictObject({
  row: z.string().min(1).max(100),
  fault: z.enum(FAULTS),
});

/** The origins this server is: its loopback address and port, as the browser wrote the Host. */
function ownHosts(req: Request): string[] {
  const port = req.socket.localPort;
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

/**
 * Refuses what did not come from the dashboard's own page: a Host that is not this loopback
 * address (a DNS-rebinding page's request carries its own name), an Origin that is another
 * site's, and a state-changing request a browser sent cross-site. A request with no Origin and
 * no Sec-Fetch-Site is not from a browser page (curl on the presenter's machine) and may pass.
 */
const sameOrigin: RequestHandler = (req, _res, next) => {
  const hosts = ownHosts(req);
  const host = req.headers.host ?? '';
  if (!hosts.includes(host)) {
    next(
      new Forbidden('host_not_allowed', `this dashboard answers only at http://${hosts[0]}/`, {
        extensions: { host },
      }),
    );
    return;
  }
  const origin = req.headers.origin;
  const site = req.headers['sec-fetch-site'];
  const safe = req.method === 'GET' || req.method === 'HEAD';
  const crossOrigin = origin !== undefined && origin !== `http://${host}`;
  const crossSite = !safe && site !== undefined && site !== 'same-origin' && site !== 'none';
  if (crossOrigin || crossSite) {
    next(
      new Forbidden(
        'origin_not_allowed',
        `requests from ${origin ?? `a ${site} page`} are refused: only the dashboard's own page may use it`,
      ),
    );
    return;
  }
  next();
};

export function createDashboardApp(options: DashboardAppOptions): Express {
  const { board } = options;
  const routes = express.Router();
  routes.use(sameOrigin);

  for (const [path, file] of Object.entries(files)) {
    routes.get(path, (_req, res) => {
      res.set('Cache-Control', 'no-store').type(file.type).send(file.body);
    });
  }

  routes.get('/api/board', (_req, res) => {
    res.set('Cache-Control', 'no-store').json(board.view());
  });

  routes.get('/api/table', (_req, res) => {
    res.set('Cache-Control', 'no-store').type('text/markdown; charset=utf-8').send(board.table());
  });

  let streams = 0;
  routes.get('/api/board/events', (req, res, next) => {
    if (streams >= MAX_STREAMS) {
      next(new Conflict('too_many_streams', `at most ${MAX_STREAMS} pages may follow the board`));
      return;
    }
    streams++;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    const send = (view: unknown) => res.write(`data: ${JSON.stringify(view)}\n\n`);
    send(board.view());
    const unsubscribe = board.subscribe(send);
    const end = () => res.end();
    options.stopping.addEventListener('abort', end, { once: true });
    req.on('close', () => {
      streams--;
      unsubscribe();
      options.stopping.removeEventListener('abort', end);
    });
  });

  routes.post('/api/faults', (req, res) => {
    const { row, fault } = parseOrThrow(faultBody, req.body, '(body)');
    try {
      board.startFault(row, fault);
    } catch (error) {
      if (error instanceof Busy) throw new Conflict('fault_running', error.message);
      if (error instanceof UnknownFault) {
        throw new Unprocessable([{ field: 'row', detail: error.message }], {
          code: 'fault_not_available',
        });
      }
      throw error;
    }
    const last = board.view().rows.find((r) => r.name === row)?.last;
    res.status(202).json(last);
  });

  const { log, metrics, health } = options;
  return createServiceApp({ log, metrics, health, bodyLimit: '4kb', routes });
}
