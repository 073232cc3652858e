// One running dashboard: the board over a driver, the load generator through the one origin
// feeding it, and the HTTP server on 127.0.0.1. main.ts starts one for `pnpm demo`; the e2e
// suite starts one over its own driver to drive the page with a browser.
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHealth, createHttpServer, createMetrics, type Logger } from '@quadrants/service-kit';
import type { Driver } from '../../../e2e/src/targets/index.ts';
import { runLoad } from '../../../scripts/load-run.ts';
import { createDashboardApp } from './app.ts';
import { type Board, createBoard } from './board.ts';

/** Only loopback: the dashboard acts with its user's credentials (docs/demo.md). */
const HOST = '127.0.0.1';

export interface DashboardOptions {
  driver: Driver;
  target: string;
  log: Logger;
  /** 0 for any free port. */
  port: number;
  /** Journeys a second the load generator offers through the one origin; 0 runs none. */
  loadRate: number;
  /** How often the board looks again, in ms. */
  intervalMs?: number;
}

export interface Dashboard {
  url: string;
  board: Board;
  close(): Promise<void>;
}

/** How long each part may take to close: a journey's requests end at their 10-s timeout. */
const CLOSE_MS = 15_000;

/** The longest `pnpm demo` runs the load for: the load generator's own bound. */
const LOAD_SECONDS = 3600;

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { driver, target, log } = options;
  const origin = await driver.shopOrigin();
  const board = createBoard({
    driver,
    target,
    origin,
    ...(options.intervalMs ? { intervalMs: options.intervalMs } : {}),
  });
  await board.start();

  const stopping = new AbortController();
  const load =
    options.loadRate > 0
      ? runLoad({
          origin,
          rate: options.loadRate,
          durationSeconds: LOAD_SECONDS,
          concurrency: 50,
          everySeconds: 2,
          timeoutSeconds: 10,
          signal: stopping.signal,
          onWindow: (window) => board.loadWindow(window, options.loadRate),
        }).catch((error: Error) => log.error({ err: error }, 'the load generator stopped'))
      : undefined;

  const app = createDashboardApp({
    board,
    log,
    metrics: createMetrics({ service: 'dashboard' }),
    health: createHealth(),
    stopping: stopping.signal,
  });
  const http = createHttpServer(app);
  await new Promise<void>((resolve, reject) => {
    http.server.once('error', reject);
    http.server.listen(options.port, HOST, () => resolve());
  });
  const { port } = http.server.address() as AddressInfo;

  return {
    url: `http://${HOST}:${port}/`,
    board,
    async close() {
      stopping.abort();
      // Each part gets a bounded wait, and one that overruns is named rather than waited for.
      const bounded = (name: string, part: Promise<unknown> | undefined) =>
        Promise.race([
          part,
          sleep(CLOSE_MS).then(() => log.warn({ part: name }, 'did not close in time')),
        ]);
      await Promise.all([
        bounded('the load generator', load),
        bounded('the board', board.stop()),
        bounded('the HTTP server', http.close()),
      ]);
    },
  };
}
