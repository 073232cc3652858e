import { listenOnFreePort, type RunningApp, testKit } from '@quadrants/service-kit/testing';
import { createApp } from '../src/app.ts';

export const testLimits = { batchMaxPoints: 100, streamMaxLineBytes: 512 };

/** geo's real app on a free port; logs are silent unless LOG_LEVEL asks for them. */
export function startGeo(): Promise<RunningApp> {
  const app = createApp({
    ...testKit({ service: 'geo', bodyLimit: '64kb' }),
    limits: testLimits,
  });
  return listenOnFreePort(app);
}
