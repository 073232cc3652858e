import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import autocannon from 'autocannon';

export interface Window {
  requests: number;
  seconds: number;
  /** Requests that failed, timed out or were answered with anything but 2xx: should be 0. */
  failures: number;
}

function run(url: string, connections: number, duration: number) {
  return autocannon({ url, connections, duration, pipelining: 1 });
}

/** Load whose figures are thrown away: compiles the server's hot paths, opens its sockets. */
export async function warmUp(url: string, connections: number, seconds: number): Promise<void> {
  await run(url, connections, seconds);
}

/**
 * One measured window of load. Latencies go into `latencyUs` in microseconds: autocannon's own
 * histogram counts whole milliseconds, and a fast server answers in a fraction of one.
 */
export async function measureWindow(
  url: string,
  connections: number,
  seconds: number,
  latencyUs: RecordableHistogram,
): Promise<Window> {
  const load = run(url, connections, seconds);
  load.on('response', (_client, _status, _bytes, ms) =>
    latencyUs.record(Math.max(1, Math.round(ms * 1000))),
  );
  const result = await load;
  return {
    // Exact, unlike the mean of autocannon's per-second samples, which its histogram rounds.
    requests: result.requests.total,
    seconds: result.duration,
    failures: result.errors + result.non2xx,
  };
}

export const latencyHistogram = (): RecordableHistogram => createHistogram();

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** A positive integer from the environment, or the default; fails naming the variable. */
export function positiveIntFromEnv(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name}: expected a positive integer (got ${JSON.stringify(raw)})`);
  }
  return value;
}
