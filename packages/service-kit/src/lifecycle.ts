import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Health } from './health.ts';
import type { Logger } from './logging.ts';

export type Closer = () => Promise<void> | void;

export interface LifecycleOptions {
  log: Logger;
  health: Health;
  /** Whole budget for shutting down; past it the process exits 1. */
  timeoutMs: number;
  /**
   * Time between turning unready and closing the listener, for load balancers that only learn
   * from /readyz. On Kubernetes the pod's preStop sleep does this job, so keep it 0 there.
   */
  drainDelayMs?: number;
  exit?: (code: number) => void;
}

export interface ListenOptions {
  port: number;
  host: string;
  /** Longest a request may take to arrive in full (Node's default: 300 s); 0 for no limit. */
  requestTimeoutMs?: number;
}

export interface Lifecycle {
  /** Registers a resource; on shutdown resources close in the reverse order of registration. */
  onClose(name: string, close: Closer): void;
  /** Starts serving `app` and registers the server as the next resource to close. */
  listen(app: Express, options: ListenOptions): Promise<Server>;
  /** Flips readiness, drains in-flight requests, closes resources, exits. Runs once. */
  shutdown(reason: string): Promise<void>;
  /** Calls shutdown on SIGTERM and SIGINT. */
  handleSignals(): void;
}

async function closeServer(server: Server): Promise<void> {
  const closed = once(server, 'close');
  // Stops accepting; in-flight requests finish, then their connections end.
  server.close();
  server.closeIdleConnections();
  await closed;
}

export function createLifecycle(options: LifecycleOptions): Lifecycle {
  const { log, health } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const closers: { name: string; close: Closer }[] = [];
  let shutdown: Promise<void> | undefined;

  const lifecycle: Lifecycle = {
    onClose(name, close) {
      closers.push({ name, close });
    },

    async listen(app, { port, host, requestTimeoutMs }) {
      const server = app.listen(port, host);
      if (requestTimeoutMs !== undefined) server.requestTimeout = requestTimeoutMs;
      await once(server, 'listening');
      const address = server.address() as AddressInfo;
      log.info({ host: address.address, port: address.port }, 'listening');
      lifecycle.onClose('http server', () => closeServer(server));
      return server;
    },

    shutdown(reason) {
      shutdown ??= (async () => {
        log.info({ reason }, 'shutting down');
        health.markShuttingDown();
        const deadline = setTimeout(() => {
          log.error({ timeoutMs: options.timeoutMs }, 'shutdown took too long; exiting');
          exit(1);
        }, options.timeoutMs);
        deadline.unref();
        try {
          if (options.drainDelayMs) {
            await new Promise((resolve) => setTimeout(resolve, options.drainDelayMs));
          }
          for (const { name, close } of closers.toReversed()) {
            await close();
            log.info({ resource: name }, 'closed');
          }
          clearTimeout(deadline);
          log.info('shutdown complete');
          exit(0);
        } catch (error) {
          clearTimeout(deadline);
          log.error({ err: error }, 'shutdown failed');
          exit(1);
        }
      })();
      return shutdown;
    },

    handleSignals() {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        process.once(signal, () => void lifecycle.shutdown(signal));
      }
    },
  };
  return lifecycle;
}
