// geo's process: it has no dependencies to open, so its graph is config → app → listen.
import { runService } from '@quadrants/service-kit';
import { createApp } from './app.ts';
import { loadGeoConfig } from './config.ts';

await runService({
  name: 'geo',
  loadConfig: loadGeoConfig,
  async start({ config, kit, listen }) {
    const app = createApp({
      ...kit,
      limits: {
        batchMaxPoints: config.GEO_BATCH_MAX_POINTS,
        streamMaxLineBytes: config.GEO_STREAM_MAX_LINE_BYTES,
      },
    });
    await listen(app, {
      port: config.PORT,
      host: config.HOST,
      requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    });
  },
});
