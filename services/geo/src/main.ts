import {
  ConfigError,
  createHealth,
  createLifecycle,
  createLogger,
  createMetrics,
} from '@quadrants/service-kit';
import { createApp } from './app.ts';
import { loadGeoConfig } from './config.ts';

function loadConfigOrExit() {
  try {
    return loadGeoConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`geo: ${error.message}`);
    process.exit(1);
  }
}

const config = loadConfigOrExit();
const log = createLogger({ service: 'geo', level: config.LOG_LEVEL });
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
await lifecycle.listen(app, {
  port: config.PORT,
  host: config.HOST,
  requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
});
