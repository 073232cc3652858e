// The command line of `pnpm load` (scripts/load.ts): every flag, its default and its bounds, in
// one pure function that load.test.ts calls directly. A bad flag is a UsageError, which load.ts
// prints with the usage before it exits 2.
import { parseArgs } from 'node:util';

export interface LoadOptions {
  /** The one origin the journeys go to, without a trailing slash. */
  origin: string;
  /** Journeys started per second (an open model: they start on time, busy or not). */
  rate: number;
  durationSeconds: number;
  /** How many journeys may be in flight at once; an arrival beyond it is skipped and counted. */
  concurrency: number;
  /** Seconds between two windows of per-service lines. */
  everySeconds: number;
  /** Seconds one request may take, body included, before it counts as an error. */
  timeoutSeconds: number;
  /** Exit 1 when errors / requests over the run is above this fraction (0–1). */
  maxErrorRate: number | undefined;
  /** Print the summary as JSON as the last line too. */
  json: boolean;
  help: boolean;
}

export const limits = {
  rate: 200,
  durationSeconds: 3600,
  concurrency: 500,
  everySeconds: 3600,
  timeoutSeconds: 60,
} as const;

export const usage = `usage: pnpm load [--origin URL] [--rate N] [--duration 60s] [--concurrency N]
                 [--every 5s] [--timeout 10s] [--max-error-rate 0.01|1%] [--json]

Simulated shoppers run the storefront's journey against one origin and print, every --every,
requests/s, errors, p50 and p99 per service; a summary at the end (and on Ctrl-C).

  --origin URL          the one origin (default http://127.0.0.1:8080, \`pnpm start\`'s gateway;
                        compose http://127.0.0.1:18080, kind http://127.0.0.1:30080)
  --rate N              journeys started per second, up to ${limits.rate} (default 5; 0.5 is one every 2 s)
  --duration T          how long to start journeys: 90, 90s, 2m, up to 1h (default 60s)
  --concurrency N       journeys in flight at most, up to ${limits.concurrency} (default 50);
                        an arrival beyond it is skipped and counted
  --every T             seconds between progress windows, at least 1 s (default 5s)
  --timeout T           one request's limit, body included, up to 60 s (default 10s)
  --max-error-rate R    exit 1 when errors / requests is above R (0.01 or 1%)
  --json                print the summary as JSON as the last line as well
  -h, --help            this text`;

export class UsageError extends Error {
  override name = 'UsageError';
}

/** `90`, `90s`, `1500ms`, `2m`, `1h` → seconds; undefined when it is none of those. */
export function parseSeconds(raw: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim());
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = match[2] ?? 's';
  const factor = { ms: 0.001, s: 1, m: 60, h: 3600 }[unit] ?? 1;
  return value * factor;
}

function number(flag: string, raw: string, min: number, max: number, integer = false): number {
  const value = Number(raw);
  const ok = raw.trim() !== '' && Number.isFinite(value) && (!integer || Number.isInteger(value));
  if (!ok || value < min || value > max) {
    const kind = integer ? 'a whole number' : 'a number';
    throw new UsageError(`--${flag} must be ${kind} from ${min} to ${max}; got "${raw}"`);
  }
  return value;
}

function seconds(flag: string, raw: string, min: number, max: number): number {
  const value = parseSeconds(raw);
  if (value === undefined || value < min || value > max) {
    throw new UsageError(
      `--${flag} must be a time from ${min} s to ${max} s, such as 30, 30s, 2m; got "${raw}"`,
    );
  }
  return value;
}

function origin(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--origin must be a URL such as http://127.0.0.1:8080; got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--origin must be an http: or https: URL; got "${raw}"`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new UsageError(`--origin is an origin (and path), without query, fragment or user`);
  }
  return url.href.replace(/\/+$/, '');
}

function errorRate(raw: string): number {
  const percent = raw.trim().endsWith('%');
  const value = Number(percent ? raw.trim().slice(0, -1) : raw);
  const fraction = percent ? value / 100 : value;
  if (raw.trim() === '' || !Number.isFinite(fraction) || fraction < 0 || fraction > 1) {
    throw new UsageError(`--max-error-rate must be from 0 to 1, or 0% to 100%; got "${raw}"`);
  }
  return fraction;
}

/** The options of `args` (process.argv without node and the script); throws UsageError. */
export function parseLoadArgs(args: readonly string[]): LoadOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(args).values;
  } catch (error) {
    // parseArgs's own messages name the flag ("Unknown option '--rat'"); they are usage errors.
    throw new UsageError((error as Error).message);
  }
  return {
    origin: origin(values.origin),
    rate: number('rate', values.rate, 0.01, limits.rate),
    durationSeconds: seconds('duration', values.duration, 1, limits.durationSeconds),
    concurrency: number('concurrency', values.concurrency, 1, limits.concurrency, true),
    everySeconds: seconds('every', values.every, 1, limits.everySeconds),
    timeoutSeconds: seconds('timeout', values.timeout, 0.1, limits.timeoutSeconds),
    maxErrorRate:
      values['max-error-rate'] === undefined ? undefined : errorRate(values['max-error-rate']),
    json: values.json,
    help: values.help,
  };
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: false,
    options: {
      origin: { type: 'string', default: 'http://127.0.0.1:8080' },
      rate: { type: 'string', default: '5' },
      duration: { type: 'string', default: '60s' },
      concurrency: { type: 'string', default: '50' },
      every: { type: 'string', default: '5s' },
      timeout: { type: 'string', default: '10s' },
      'max-error-rate': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}
