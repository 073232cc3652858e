// Runs a service as a plain Node process from its TypeScript source (Node 24 strips the types;
// the @quadrants/source condition resolves workspace packages to their sources too).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { ServiceSpec } from './services.ts';

export interface LocalProcess {
  service: string;
  url: string;
  child: ChildProcess;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
}

export interface StartOptions {
  port: number;
  env?: Record<string, string>;
  /** Where the process's own log lines go; they are read for the port either way. */
  echo?: (line: string) => void;
}

/**
 * Starts `service` and resolves once it logs that it listens (an info line: LOG_LEVEL must let
 * it through), with the URL it listens on.
 */
export async function startProcess(
  service: ServiceSpec,
  options: StartOptions,
): Promise<LocalProcess> {
  const child = spawn(process.execPath, ['--conditions=@quadrants/source', service.entry], {
    env: { ...process.env, PORT: String(options.port), HOST: '127.0.0.1', ...options.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const listening = new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      options.echo?.(line);
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === 'listening' && typeof entry.port === 'number') resolve(entry.port);
      } catch {
        // A line that is not JSON (a pretty log, a warning) says nothing about the port.
      }
    });
    exited.then((code) => reject(new Error(`${service.name} exited (${code}) before listening`)));
    setTimeout(
      () => reject(new Error(`${service.name} did not listen within 30 s`)),
      30_000,
    ).unref();
  });
  const port = await listening;
  return { service: service.name, url: `http://127.0.0.1:${port}`, child, exited };
}

/** SIGTERM, and SIGKILL if it has not ended within `graceMs`. */
export async function stopProcess(running: LocalProcess, graceMs = 15_000): Promise<void> {
  if (running.child.exitCode !== null || running.child.signalCode !== null) return;
  running.child.kill('SIGTERM');
  const timer = setTimeout(() => running.child.kill('SIGKILL'), graceMs);
  await running.exited;
  clearTimeout(timer);
}
