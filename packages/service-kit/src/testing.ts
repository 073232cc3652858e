// For component tests: the kit's pieces as a service's main.ts would make them, and the same
// HTTP server the service runs, on a free loopback port.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { createInterface } from 'node:readline';
import type { Express } from 'express';
import { createHealth } from './health.ts';
import { createLogger, type LoggerOptions } from './logging.ts';
import { createMetrics } from './metrics.ts';
import { listenOn } from './server.ts';
import type { ServiceKit } from './service.ts';

export interface TestKit extends ServiceKit {
  /** Aborts `stopping`, as a shutdown would: long responses end themselves. */
  stop(): void;
}

export interface TestKitOptions {
  service?: string;
  /** Silent unless a test wants to read the lines (with `destination`) or see them. */
  level?: string;
  destination?: LoggerOptions['destination'];
  bodyLimit?: string;
  readinessTimeoutMs?: number;
}

/** The kit's deps for a createApp under test: quiet by default, one fresh set per call. */
export function testKit(options: TestKitOptions = {}): TestKit {
  const service = options.service ?? 'test';
  const stopping = new AbortController();
  return {
    log: createLogger({
      service,
      level: options.level ?? 'silent',
      pretty: false,
      ...(options.destination ? { destination: options.destination } : {}),
    }),
    metrics: createMetrics({ service }),
    health: createHealth({ checkTimeoutMs: options.readinessTimeoutMs ?? 1_000 }),
    stopping: stopping.signal,
    bodyLimit: options.bodyLimit ?? '100kb',
    stop: () => stopping.abort(),
  };
}

/**
 * A loopback port that nothing listens on now: for a container published on 127.0.0.1 at a port
 * it keeps across restarts, or a process given PORT. (Another process may take it meanwhile;
 * port 0 is the answer wherever the listener itself can be asked.)
 */
export async function freeLoopbackPort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return address.port;
}

export interface RunningApp {
  baseUrl: string;
  server: Server;
  close(): Promise<void>;
}

/** Starts `app` on a free loopback port with the service's own HTTP server, for component tests. */
export async function listenOnFreePort(app: Express): Promise<RunningApp> {
  const http = await listenOn(app, { port: 0, host: '127.0.0.1' });
  const { port } = http.server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    server: http.server,
    async close() {
      http.server.closeAllConnections();
      await http.close();
    },
  };
}

export interface LogLine {
  msg?: string;
  [field: string]: unknown;
}

export interface ServiceProcess {
  child: ChildProcess;
  lines: LogLine[];
  /** Everything the process wrote to stderr (a stack trace would land here). */
  stderr(): string;
  /** Resolves with the first log line (already seen or still to come) that matches. */
  waitFor(match: (line: LogLine) => boolean): Promise<LogLine>;
  exited: Promise<number | null>;
}

/**
 * Runs a service's TypeScript entry point as a real Node process (workspace packages from
 * source) and reads its JSON log lines: for tests of start-up, shutdown and crashes.
 */
export function startServiceProcess(
  entry: string,
  env: Record<string, string> = {},
): ServiceProcess {
  const child = spawn(process.execPath, ['--conditions=@quadrants/source', entry], {
    // biome-ignore lint/style/noProcessEnv: the child inherits the test's environment (PATH, CI), not config.
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines: LogLine[] = [];
  const waiters: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  const exited = once(child, 'exit').then(([code]) => code as number | null);

  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { text }; // not a log line: a warning from Node, say
    }
    lines.push(line);
    for (const waiter of waiters.filter((w) => w.match(line))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  });

  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    waitFor(match) {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ match, resolve });
        exited.then((code) => reject(new Error(`process exited (${code}) before the line came`)));
      });
    },
  };
}
