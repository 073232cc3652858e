import { PassThrough } from 'node:stream';
import express, { type Router } from 'express';
import { createServiceApp, type Health, type ServiceAppOptions } from '../src/index.ts';
import { listenOnFreePort, testKit } from '../src/testing.ts';

export interface TestApp {
  baseUrl: string;
  health: Health;
  /** Every log line the app wrote, parsed. */
  logLines(): Record<string, unknown>[];
  close(): Promise<void>;
}

type Extras = Pick<ServiceAppOptions, 'openapi' | 'bodyStreams'>;

/** The kit's app around `routes`, listening on a free port, with its log captured. */
export async function startKitApp(
  routes: Router = express.Router(),
  level = 'debug',
  extras: Extras = {},
): Promise<TestApp> {
  const output = new PassThrough();
  let text = '';
  output.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const {
    stop: _stop,
    stopping: _stopping,
    ...kit
  } = testKit({
    level,
    destination: output,
    bodyLimit: '1kb',
    readinessTimeoutMs: 200,
  });
  const running = await listenOnFreePort(createServiceApp({ ...kit, ...extras, routes }));
  return {
    baseUrl: running.baseUrl,
    health: kit.health,
    logLines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    close: running.close,
  };
}
