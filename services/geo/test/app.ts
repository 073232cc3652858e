import { createHealth, createLogger, createMetrics } from '@quadrants/service-kit';
import { listenOnFreePort, type RunningApp } from '@quadrants/service-kit/testing';
import { createApp } from '../src/app.ts';

export const testLimits = { batchMaxPoints: 100, streamMaxLineBytes: 512 };

/** geo's real app on a free port; logs are silent unless LOG_LEVEL asks for them. */
export function startGeo(): Promise<RunningApp> {
  const log = createLogger({ service: 'geo', level: process.env.LOG_LEVEL ?? 'silent' });
  const app = createApp({
    log,
    health: createHealth(),
    metrics: createMetrics({ service: 'geo' }),
    bodyLimit: '64kb',
    limits: testLimits,
  });
  return listenOnFreePort(app);
}

export async function getJson(url: string) {
  const response = await fetch(url);
  return { response, body: (await response.json()) as Record<string, unknown> };
}

export async function postJson(url: string, value: unknown) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(value),
  });
  return { response, body: (await response.json()) as Record<string, unknown> };
}
