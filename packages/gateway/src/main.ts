// The gateway's process: no dependencies of its own to open, so config → app → listen. Its
// readiness is its own: one service being down is that service's 502, not the whole origin's.
import { runService } from '@quadrants/service-kit';
import { createGatewayApp } from './app.ts';
import { loadGatewayConfig } from './config.ts';

await runService({
  name: 'gateway',
  loadConfig: loadGatewayConfig,
  async start({ config, kit, listen }) {
    const app = createGatewayApp({
      log: kit.log,
      health: kit.health,
      upstreams: { services: config.GATEWAY_ROUTES, site: config.GATEWAY_FALLBACK_URL },
      upstreamTimeoutMs: config.GATEWAY_UPSTREAM_TIMEOUT_MS,
    });
    // No request timeout of its own: an upload streams through for as long as uploads allows.
    await listen(app, { port: config.PORT, host: config.HOST, requestTimeoutMs: 0 });
  },
});
