// The real geo service, wired as its main.ts wires it, with its config defaults. Logs are
// written in full (JSON, at geo's default level) to /dev/null: the cost stays, the noise goes.
import { createApp } from '@quadrants/geo/src/app.ts';
import { loadGeoConfig } from '@quadrants/geo/src/config.ts';
import { createHealth, createLifecycle, createLogger, createMetrics } from '@quadrants/service-kit';
import { pino } from 'pino';
import { announce } from '../../lib/announce.ts';

// Only LOG_LEVEL passes through, so the cost of logging can be measured on its own.
const config = loadGeoConfig({ LOG_LEVEL: process.env.LOG_LEVEL });
// The same kind of stream pino writes stdout with.
const devNull = pino.destination('/dev/null');
const log = createLogger({ service: 'geo', level: config.LOG_LEVEL, destination: devNull });
const health = createHealth();
const metrics = createMetrics({ service: 'geo' });
const lifecycle = createLifecycle({
  log,
  health,
  timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  drainDelayMs: config.SHUTDOWN_DELAY_MS,
});
lifecycle.handleSignals();

const app = createApp({
  log,
  metrics,
  health,
  bodyLimit: config.BODY_LIMIT,
  limits: {
    batchMaxPoints: config.GEO_BATCH_MAX_POINTS,
    streamMaxLineBytes: config.GEO_STREAM_MAX_LINE_BYTES,
  },
});
await announce(
  await lifecycle.listen(app, {
    port: 0,
    host: '127.0.0.1',
    // As main.ts: without it Node's own 300 s limit would cut a long stream short.
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
  }),
);
