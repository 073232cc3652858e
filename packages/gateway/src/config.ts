import { baseConfigShape, intVar, loadConfig } from '@quadrants/service-kit';
import { z } from 'zod';

/** An upstream's base URL: http only, for the gateway runs beside the services on one machine. */
const upstreamUrl = z.url({ protocol: /^http$/, error: 'expected an http:// URL' });

/** `/api/<name>/`'s name: what a URL path segment and a service's name both allow. */
export const ROUTE_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/**
 * `name=url` pairs separated by commas: `geo=http://127.0.0.1:8084,basket=http://…`. The
 * gateway knows no service by name; whoever starts it (scripts/start-local.ts) says which.
 */
const routes = z
  .string({ error: 'is required: name=url pairs, such as geo=http://127.0.0.1:8084' })
  .trim()
  .transform((value, context) => {
    const table: Record<string, string> = {};
    for (const pair of value.split(',')) {
      const [name = '', url = '', ...rest] = pair.trim().split('=');
      if (!ROUTE_NAME.test(name) || rest.length > 0) {
        context.addIssue({ code: 'custom', message: `"${pair.trim()}" is not name=url` });
        continue;
      }
      if (!upstreamUrl.safeParse(url).success) {
        context.addIssue({ code: 'custom', message: `${name}: expected an http:// URL` });
        continue;
      }
      if (name in table) context.addIssue({ code: 'custom', message: `${name} is given twice` });
      table[name] = url;
    }
    return table;
  });

export const configShape = {
  ...baseConfigShape,
  /** 8080: the one origin of `pnpm start`, beside the services' 808N. */
  PORT: intVar({ min: 0, max: 65_535 }).default(8080),
  /** What `/api/<name>/…` reaches: each name's base URL. */
  GATEWAY_ROUTES: routes,
  /** What every other path reaches: the site (static-site). */
  GATEWAY_FALLBACK_URL: z
    .string({ error: 'is required: the base URL every path outside /api/ goes to' })
    .pipe(upstreamUrl),
  /**
   * Longest an upstream may leave the connection idle (no answer yet, or a pause in it) before
   * the gateway gives up with 504. A minute: a hung service does not hold a tab forever, and
   * an upload streams far within it.
   */
  GATEWAY_UPSTREAM_TIMEOUT_MS: intVar({ min: 1, max: 3_600_000 }).default(60_000),
};

export type Config = ReturnType<typeof loadGatewayConfig>;

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(configShape, env);
}
