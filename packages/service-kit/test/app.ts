import { PassThrough } from 'node:stream';
import express, { type Router } from 'express';
import {
  createHealth,
  createLogger,
  createMetrics,
  createServiceApp,
  type Health,
} from '../src/index.ts';
import { listenOnFreePort } from '../src/testing.ts';

export interface TestApp {
  baseUrl: string;
  health: Health;
  /** Every log line the app wrote, parsed. */
  logLines(): Record<string, unknown>[];
  close(): Promise<void>;
}

/** The kit's app around `routes`, listening on a free port, with its log captured. */
export async function startKitApp(
  routes: Router = express.Router(),
  level = 'debug',
): Promise<TestApp> {
  const output = new PassThrough();
  let text = '';
  output.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const health = createHealth({ checkTimeoutMs: 200 });
  const app = createServiceApp({
    log: createLogger({ service: 'test', level, destination: output }),
    metrics: createMetrics({ service: 'test' }),
    health,
    bodyLimit: '1kb',
    routes,
  });
  const running = await listenOnFreePort(app);
  return {
    baseUrl: running.baseUrl,
    health,
    logLines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    close: running.close,
  };
}
