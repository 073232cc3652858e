// Runs a service as a plain Node process from its TypeScript source (Node 24 strips the types;
// the @quadrants/source condition resolves workspace packages to their sources too), and a
// one-shot such as a migration to completion. Used by `pnpm start` (scripts/start-local.ts)
// and by the e2e suite's local target.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { ServiceSpec } from './services.ts';

export interface LocalProcess {
  service: string;
  url: string;
  child: ChildProcess;
  /** Resolves with the exit code (null when a signal ended it) once its output has been read. */
  exited: Promise<number | null>;
}

export type Stream = 'stdout' | 'stderr';

export interface StartOptions {
  port: number;
  env?: Record<string, string>;
  /**
   * Where the process's output goes, line by line. Without it stdout is only read for the port
   * and stderr goes straight to this process's stderr.
   */
  echo?: (line: string, stream: Stream) => void;
}

/** A Node process from TypeScript source takes about a second; this leaves room for a busy CI runner. */
const LISTEN_TIMEOUT_MS = 60_000;

/**
 * Starts `service` and resolves once it logs that it listens (an info line: LOG_LEVEL must let
 * it through), with the URL it listens on. Rejects when it exits first.
 */
export async function startProcess(
  service: ServiceSpec,
  options: StartOptions,
): Promise<LocalProcess> {
  const { echo } = options;
  const child = spawn(process.execPath, ['--conditions=@quadrants/source', service.entry], {
    env: { ...process.env, PORT: String(options.port), HOST: '127.0.0.1', ...options.env },
    stdio: ['ignore', 'pipe', echo ? 'pipe' : 'inherit'],
  });
  // 'close' rather than 'exit': by then every line it wrote has been echoed.
  const exited = once(child, 'close').then(([code]) => code as number | null);
  const lines = (stream: Readable | null) => createInterface({ input: stream as Readable });
  if (echo) lines(child.stderr).on('line', (line) => echo(line, 'stderr'));

  const listening = new Promise<number>((resolve, reject) => {
    lines(child.stdout).on('line', (line) => {
      echo?.(line, 'stdout');
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === 'listening' && typeof entry.port === 'number') resolve(entry.port);
      } catch {
        // A line that is not JSON (a pretty log, a warning) says nothing about the port.
      }
    });
    exited.then((code) =>
      reject(new Error(`${service.name} exited (${code ?? child.signalCode}) before listening`)),
    );
    setTimeout(
      () => reject(new Error(`${service.name} did not listen within ${LISTEN_TIMEOUT_MS} ms`)),
      LISTEN_TIMEOUT_MS,
    ).unref();
  });
  let port: number;
  try {
    port = await listening;
  } catch (error) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw error;
  }
  return { service: service.name, url: `http://127.0.0.1:${port}`, child, exited };
}

/**
 * Runs a one-shot `entry` (a migration) from its source to completion, its output handled as
 * startProcess handles a service's; resolves with its exit code (null when a signal ended it).
 */
export async function runOnce(
  entry: string,
  options: Pick<StartOptions, 'env' | 'echo'> = {},
): Promise<number | null> {
  const { echo } = options;
  const child = spawn(process.execPath, ['--conditions=@quadrants/source', entry], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', echo ? 'pipe' : 'inherit', echo ? 'pipe' : 'inherit'],
  });
  if (echo) {
    for (const stream of ['stdout', 'stderr'] as const) {
      createInterface({ input: child[stream] as Readable }).on('line', (line) =>
        echo(line, stream),
      );
    }
  }
  const [code] = await once(child, 'close');
  return code as number | null;
}

/** SIGTERM, and SIGKILL if it has not ended within `graceMs`; resolves with its exit code. */
export async function stopProcess(running: LocalProcess, graceMs = 15_000): Promise<number | null> {
  const { child } = running;
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const code = await running.exited;
  clearTimeout(timer);
  return code;
}
