import { createHistogram } from 'node:perf_hooks';
import autocannon from 'autocannon';

export interface LoadSettings {
  warmupSeconds: number;
  durationSeconds: number;
  connections: number;
}

export interface LoadFigures {
  requestsPerSecond: number;
  latencyP99Ms: number;
  /** Requests that failed, timed out or were answered with anything but 2xx: should be 0. */
  failures: number;
}

function run(url: string, connections: number, duration: number) {
  return autocannon({ url, connections, duration, pipelining: 1 });
}

/** Warms the server up, throws those figures away, then measures with the same settings. */
export async function measure(url: string, settings: LoadSettings): Promise<LoadFigures> {
  await run(url, settings.connections, settings.warmupSeconds);
  // autocannon's own latency histogram counts whole milliseconds; a fast server answers in a
  // fraction of one, so latencies are kept here in microseconds.
  const latencyUs = createHistogram();
  const load = run(url, settings.connections, settings.durationSeconds);
  load.on('response', (_client, _status, _bytes, ms) =>
    latencyUs.record(Math.max(1, Math.round(ms * 1000))),
  );
  const result = await load;
  return {
    // Exact, unlike the mean of autocannon's per-second samples, which its histogram rounds.
    requestsPerSecond: result.requests.total / result.duration,
    latencyP99Ms: latencyUs.percentile(99) / 1000,
    failures: result.errors + result.non2xx,
  };
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
