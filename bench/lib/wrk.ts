// Load from wrk (C, one thread per -t) rather than autocannon, where the answers are large:
// autocannon, in Node, tops out near 50 MB/s of bodies on the 2-core bench machine (466 GETs/s of
// a 100 KiB file where wrk made 13,700 against the same nginx), so it would measure itself.
// wrk's figures come from a Lua `done` hook that prints them as JSON: no per-request Lua runs.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const WRK = process.env.BENCH_WRK?.trim() || 'wrk';

export interface WrkWindow {
  requests: number;
  seconds: number;
  /** Connect, read, write and timeout errors, and answers with a status of 400 or more. */
  failures: number;
  /** Latency percentiles, in microseconds. */
  p50Us: number;
  p99Us: number;
}

const DONE = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration":%d,"errors":%d,"p50":%d,"p99":%d}\\n',
    summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`;

/**
 * One window of `seconds` of GETs of `url` over `connections` keep-alive connections from
 * `threads` wrk threads, each request with `headers`.
 */
export async function wrkWindow(options: {
  url: string;
  connections: number;
  seconds: number;
  threads?: number;
  headers?: Record<string, string>;
}): Promise<WrkWindow> {
  const { url, connections, seconds, threads = 1, headers = {} } = options;
  const dir = await mkdtemp(join(tmpdir(), 'quadrants-bench-wrk-'));
  try {
    const script = join(dir, 'done.lua');
    await writeFile(script, DONE);
    const args = [
      `-t${threads}`,
      `-c${connections}`,
      `-d${seconds}s`,
      '--timeout',
      '10s',
      '-s',
      script,
      ...Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
      url,
    ];
    const { stdout } = await run(WRK, args, {
      timeout: (seconds + 30) * 1000,
      killSignal: 'SIGKILL',
    });
    const line = stdout.split('\n').find((l) => l.startsWith('{"requests"'));
    if (!line) throw new Error(`wrk printed no figures:\n${stdout}`);
    const figures = JSON.parse(line) as {
      requests: number;
      duration: number;
      errors: number;
      p50: number;
      p99: number;
    };
    const nonSuccess = /Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1];
    return {
      requests: figures.requests,
      seconds: figures.duration / 1e6,
      failures: Math.max(figures.errors, Number(nonSuccess ?? 0)),
      p50Us: figures.p50,
      p99Us: figures.p99,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
