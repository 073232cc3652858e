import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Health, ReadinessCheck } from './health.ts';
import type { Logger } from './logging.ts';
import { type HttpServer, listenOn } from './server.ts';

export type Closer = () => Promise<void> | void;

/** Anything that emits 'error' events: pg's Pool (an idle client's error), ioredis (reconnects). */
export interface ErrorEmitter {
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** One dependency of a service, registered once: what readiness asks of it, and how it closes. */
export interface Resource {
  name: string;
  /** Resolves while the dependency is usable; /readyz fails while it rejects or times out. */
  ready?: ReadinessCheck;
  close: Closer;
  /**
   * A client that reports trouble as 'error' events. Without a listener such an event crashes
   * the process; the kit logs it instead, and the readiness check says whether it still works.
   */
  errors?: ErrorEmitter;
}

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
  /** Adds a dependency: its readiness check joins /readyz, its close runs on shutdown. */
  register(resource: Resource): void;
  /** Starts serving `app`. However late it is called, the HTTP server closes before any resource. */
  listen(app: Express, options: ListenOptions): Promise<Server>;
  /**
   * Aborts when the server stops taking requests: a long response (a stream) ends itself then,
   * with a last word to its client, rather than being cut off at the deadline.
   */
  readonly stopping: AbortSignal;
  /**
   * Flips readiness, drains, closes the HTTP servers and then the resources in reverse order of
   * registration, and exits: 0, or 1 when a close failed, `exitCode` asked for it, or the
   * budget ran out. Runs once; later calls return the same promise.
   */
  shutdown(reason: string, exitCode?: number): Promise<void>;
  /** SIGTERM and SIGINT shut down; an uncaught exception or unhandled rejection logs and shuts down with 1. */
  handleProcessEvents(): void;
}

export function createLifecycle(options: LifecycleOptions): Lifecycle {
  const { log, health } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const resources: Resource[] = [];
  const servers: HttpServer[] = [];
  const stopping = new AbortController();
  let shutdown: Promise<void> | undefined;

  async function closeAll(): Promise<boolean> {
    let clean = true;
    const close = async (name: string, run: Closer) => {
      try {
        await run();
        log.info({ resource: name }, 'closed');
      } catch (error) {
        clean = false;
        log.error({ err: error, resource: name }, 'close failed; closing the rest');
      }
    };
    stopping.abort();
    // The server first, so that no handler is left using a client that has closed.
    await Promise.all(servers.map((http) => close('http server', () => http.close())));
    for (const { name, close: run } of resources.toReversed()) await close(name, run);
    return clean;
  }

  const lifecycle: Lifecycle = {
    stopping: stopping.signal,

    register(resource) {
      resources.push(resource);
      if (resource.ready) health.addCheck(resource.name, resource.ready);
      resource.errors?.on('error', (error) => {
        log.warn({ err: error, resource: resource.name }, 'dependency reported an error');
      });
    },

    async listen(app, { port, host, requestTimeoutMs }) {
      const http = await listenOn(app, {
        port,
        host,
        ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }),
      });
      servers.push(http);
      const address = http.server.address() as AddressInfo;
      log.info({ host: address.address, port: address.port }, 'listening');
      return http.server;
    },

    shutdown(reason, exitCode = 0) {
      shutdown ??= (async () => {
        log.info({ reason }, 'shutting down');
        health.markShuttingDown();
        const deadline = setTimeout(() => {
          log.error({ timeoutMs: options.timeoutMs }, 'shutdown took too long; exiting');
          exit(1);
        }, options.timeoutMs);
        deadline.unref();
        // Nothing listens yet when start-up fails: there is no traffic to drain.
        if (options.drainDelayMs && servers.length > 0) {
          await new Promise((resolve) => setTimeout(resolve, options.drainDelayMs));
        }
        const clean = await closeAll();
        clearTimeout(deadline);
        const code = clean ? exitCode : 1;
        log.info({ exitCode: code }, 'shutdown complete');
        exit(code);
      })();
      return shutdown;
    },

    handleProcessEvents() {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        process.once(signal, () => void lifecycle.shutdown(signal));
      }
      process.on('uncaughtException', (error) => {
        log.fatal({ err: error }, 'uncaught exception; shutting down');
        void lifecycle.shutdown('uncaught exception', 1);
      });
      process.on('unhandledRejection', (reason) => {
        log.fatal({ err: reason }, 'unhandled promise rejection; shutting down');
        void lifecycle.shutdown('unhandled rejection', 1);
      });
    },
  };
  return lifecycle;
}
