// For component tests: the kit's pieces as a service's main.ts would make them, and the same
// HTTP server the service runs, on a free loopback port.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { createHealth } from './health.ts';
import { createLogger, type LoggerOptions } from './logging.ts';
import { createMetrics } from './metrics.ts';
import { listenOn } from './server.ts';
import type { ServiceKit } from './service.ts';

export interface TestKit extends ServiceKit {
  /** Aborts `stopping`, as a shutdown would: long responses end themselves. */
  stop(): void;
}

export interface TestKitOptions {
  service?: string;
  /** Silent unless a test wants to read the lines (with `destination`) or see them. */
  level?: string;
  destination?: LoggerOptions['destination'];
  bodyLimit?: string;
  readinessTimeoutMs?: number;
}

/** The kit's deps for a createApp under test: quiet by default, one fresh set per call. */
export function testKit(options: TestKitOptions = {}): TestKit {
  const service = options.service ?? 'test';
  const stopping = new AbortController();
  return {
    log: createLogger({
      service,
      level: options.level ?? 'silent',
      pretty: false,
      ...(options.destination ? { destination: options.destination } : {}),
    }),
    metrics: createMetrics({ service }),
    health: createHealth({ checkTimeoutMs: options.readinessTimeoutMs ?? 1_000 }),
    stopping: stopping.signal,
    bodyLimit: options.bodyLimit ?? '100kb',
    stop: () => stopping.abort(),
  };
}

export interface RunningApp {
  baseUrl: string;
  server: Server;
  close(): Promise<void>;
}

/** Starts `app` on a free loopback port with the service's own HTTP server, for component tests. */
export async function listenOnFreePort(app: Express): Promise<RunningApp> {
  const http = await listenOn(app, { port: 0, host: '127.0.0.1' });
  const { port } = http.server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    server: http.server,
    async close() {
      http.server.closeAllConnections();
      await http.close();
    },
  };
}
