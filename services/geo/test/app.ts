import { listenOnFreePort, type RunningApp, testKit } from '@quadrants/service-kit/testing';
import { createApp } from '../src/app.ts';
import type { Config } from '../src/config.ts';

export const testLimits = { batchMaxPoints: 100, streamMaxLineBytes: 512 };

/** geo's real app on a free port, with small limits so tests can reach them; its logs are silent. */
export function startGeo(): Promise<RunningApp> {
  const app = createApp({
    ...testKit({ service: 'geo', bodyLimit: '64kb' }),
    limits: testLimits,
  });
  return listenOnFreePort(app);
}

/** geo's real app with the limits of `config`: `loadGeoConfig({})` gives those geo ships with. */
export function startGeoWith(
  config: Pick<Config, 'BODY_LIMIT' | 'GEO_BATCH_MAX_POINTS' | 'GEO_STREAM_MAX_LINE_BYTES'>,
): Promise<RunningApp> {
  const app = createApp({
    ...testKit({ service: 'geo', bodyLimit: config.BODY_LIMIT }),
    limits: {
      batchMaxPoints: config.GEO_BATCH_MAX_POINTS,
      streamMaxLineBytes: config.GEO_STREAM_MAX_LINE_BYTES,
    },
  });
  return listenOnFreePort(app);
}
