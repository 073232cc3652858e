import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freeLoopbackPort } from '@quadrants/service-kit/testing';

export interface ServerProcess {
  name: string;
  baseUrl: string;
  /** The process's resident set (VmRSS) now, in bytes; null where /proc is missing. */
  rssBytes(): number | null;
  /** The process's peak resident set (VmHWM) so far, in bytes; null where /proc is missing. */
  peakRssBytes(): number | null;
  /** CPU seconds (user + system) the process has used so far; null where /proc is missing. */
  cpuSeconds(): number | null;
  /** SIGTERM, then SIGKILL if it has not gone within a second. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 1_000;

const running = new Set<ChildProcess>();
// Whatever happens to the parent (an error, a forgotten stop), no server outlives it.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A memory figure from /proc/<pid>/status (Linux only), in bytes. */
function memoryFigure(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1];
    return kib === undefined ? null : Number(kib) * 1024;
  } catch {
    return null;
  }
}

/**
 * utime + stime from /proc/<pid>/stat (Linux only), in seconds. The kernel counts them in
 * USER_HZ ticks, which Linux fixes at 100 a second for every program that reads /proc.
 */
export function cpuSeconds(pid: number): number | null {
  try {
    // The command name (field 2) may hold spaces; the fields after it are plain numbers.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const [utime, stime] = [Number(fields[11]), Number(fields[12])];
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / 100 : null;
  } catch {
    return null;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
  running.delete(child);
}

function handle(name: string, child: ChildProcess, port: number): ServerProcess {
  const pid = child.pid ?? 0;
  return {
    name,
    baseUrl: `http://127.0.0.1:${port}`,
    rssBytes: () => memoryFigure(pid, 'VmRSS'),
    peakRssBytes: () => memoryFigure(pid, 'VmHWM'),
    cpuSeconds: () => cpuSeconds(pid),
    stop: () => stopChild(child),
  };
}

/**
 * Runs a service's own main.ts, exactly as it runs in production, on a free loopback port
 * (given by PORT), with its stdout, where it logs, sent to /dev/null: the logging costs what
 * it costs, without the noise. `nodeFlags` are added to this process's own Node flags.
 * Resolves once GET /readyz answers 200.
 */
export async function spawnService(
  name: string,
  entry: URL,
  env: NodeJS.ProcessEnv = {},
  nodeFlags: readonly string[] = [],
): Promise<ServerProcess> {
  const port = await freeLoopbackPort();
  const child = fork(fileURLToPath(entry), {
    execArgv: [...process.execArgv, ...nodeFlags],
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', openSync('/dev/null', 'w'), 'inherit', 'ipc'],
  });
  running.add(child);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (ready.status === 200) return handle(name, child, port);
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stopChild(child);
  throw new Error(`${name}: not ready within ${START_TIMEOUT_MS} ms (exit code ${child.exitCode})`);
}

/**
 * Runs a server entry point as its own Node process, so the load generator in this process
 * never shares an event loop with it. The entry listens on 127.0.0.1 port 0 and calls
 * `announce(server)`; this resolves once it has. `nodeFlags` are added to this process's own
 * Node flags, as spawnService's are.
 */
export async function spawnServer(
  name: string,
  entry: URL,
  env: NodeJS.ProcessEnv = {},
  nodeFlags: readonly string[] = [],
): Promise<ServerProcess> {
  const child = fork(fileURLToPath(entry), {
    execArgv: [...process.execArgv, ...nodeFlags],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  running.add(child);
  const pid = child.pid;
  try {
    if (pid === undefined) throw new Error(`${name}: could not start`);
    const [message] = await Promise.race([
      once(child, 'message'),
      once(child, 'exit').then(([code]) => {
        throw new Error(`${name}: exited (${code}) before it listened`);
      }),
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`${name}: not listening after ${START_TIMEOUT_MS} ms`)),
          START_TIMEOUT_MS,
        ).unref(),
      ),
    ]);
    const { port } = message as { port: number };
    return handle(name, child, port);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}
