// The pure parts of `pnpm usage:compose` (scripts/compose-usage.ts): its flags, docker's units
// (`12.5MiB / 64MiB`, `0.52%`), the samples folded into one row per container, and the Markdown
// table. No process, no clock, no Docker: compose-usage.test.ts calls each one directly.
import { parseArgs } from 'node:util';

export interface UsageOptions {
  /** The compose project whose containers are sampled (label com.docker.compose.project). */
  project: string;
  /** The one origin the load generator goes to, without a trailing slash; loopback only. */
  origin: string;
  /** Journeys started per second, passed to scripts/load.ts. */
  rate: number;
  durationSeconds: number;
  /** Seconds from the start of one `docker stats` sample to the start of the next. */
  everySeconds: number;
  /** Print the result as JSON as the last line too. */
  json: boolean;
  help: boolean;
}

export const limits = { rate: 200, durationSeconds: 3600, everySeconds: 60 } as const;

/**
 * Sampling stops after this many samples whatever happens: a full hour at the shortest
 * --every, plus the load's drain (journeys in flight finish after --duration).
 */
export function maxSamples(options: Pick<UsageOptions, 'durationSeconds' | 'everySeconds'>) {
  return Math.ceil((options.durationSeconds + 60) / options.everySeconds) + 1;
}

export const usage = `usage: pnpm usage:compose [--project NAME] [--origin URL] [--rate N] [--duration 60s]
                         [--every 5s] [--json]

Runs the load generator (scripts/load.ts) against a compose stack's origin and meanwhile samples
\`docker stats\` for the project's running containers; then prints, per container, mean and peak
CPU and memory and the memory limit docker reports, the load's summary and the totals.

  --project NAME   the compose project (default quadrants: \`docker-compose -p NAME\`)
  --origin URL     the gateway, on 127.0.0.1 or localhost (default http://127.0.0.1:18080)
  --rate N         journeys started per second, up to ${limits.rate} (default 5)
  --duration T     how long the load runs: 90, 90s, 2m, up to 1h (default 60s)
  --every T        seconds between samples, 2 s to ${limits.everySeconds} s (default 5s);
                   one sample takes docker about 2 s
  --json           print the result as JSON as the last line as well
  -h, --help       this text`;

export class UsageError extends Error {
  override name = 'UsageError';
}

/** `90`, `90s`, `2m`, `1h` → seconds; undefined when it is none of those. */
export function parseSeconds(raw: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(raw.trim());
  if (!match) return undefined;
  const factor = { s: 1, m: 60, h: 3600 }[match[2] ?? 's'] ?? 1;
  return Number(match[1]) * factor;
}

function seconds(flag: string, raw: string, min: number, max: number): number {
  const value = parseSeconds(raw);
  if (value === undefined || value < min || value > max) {
    throw new UsageError(`--${flag} must be a time from ${min} s to ${max} s; got "${raw}"`);
  }
  return value;
}

const loopback = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function parseUsageArgs(args: string[]): UsageOptions {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values } = parsed;

  const project = values.project;
  // Docker's rule for a project name: lowercase letters, digits, dashes and underscores.
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(project)) {
    throw new UsageError(`--project must be a compose project name; got "${project}"`);
  }

  let url: URL;
  try {
    url = new URL(values.origin);
  } catch {
    throw new UsageError(
      `--origin must be a URL such as http://127.0.0.1:18080; got "${values.origin}"`,
    );
  }
  if (url.protocol !== 'http:' || !loopback.has(url.hostname)) {
    throw new UsageError(
      `--origin must be http:// on 127.0.0.1 or localhost; got "${values.origin}"`,
    );
  }

  const rate = Number(values.rate);
  if (values.rate.trim() === '' || !Number.isFinite(rate) || rate < 0.01 || rate > limits.rate) {
    throw new UsageError(
      `--rate must be a number from 0.01 to ${limits.rate}; got "${values.rate}"`,
    );
  }

  return {
    project,
    origin: url.origin,
    rate,
    durationSeconds: seconds('duration', values.duration, 1, limits.durationSeconds),
    everySeconds: seconds('every', values.every, 2, limits.everySeconds),
    json: values.json,
    help: values.help,
  };
}

function parse(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      project: { type: 'string', default: 'quadrants' },
      origin: { type: 'string', default: 'http://127.0.0.1:18080' },
      rate: { type: 'string', default: '5' },
      duration: { type: 'string', default: '60s' },
      every: { type: 'string', default: '5s' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

// docker prints memory in binary units (go-units' BytesSize: KiB, MiB, GiB) and network and
// block I/O in decimal ones (HumanSize: kB, MB, GB); both end in B.
const byteFactors: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** `12.5MiB`, `1.2GB`, `512kB`, `0B` → bytes; undefined for `--` (no figure) or anything else. */
export function parseBytes(raw: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(raw.trim());
  const factor = byteFactors[match?.[2]?.toLowerCase() ?? ''];
  return match && factor !== undefined ? Number(match[1]) * factor : undefined;
}

/** `0.52%` → 0.52; undefined for `--` (a container that is starting or stopping). */
export function parsePercent(raw: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)%$/.exec(raw.trim());
  return match ? Number(match[1]) : undefined;
}

export interface Reading {
  container: string;
  cpuPercent: number;
  memoryBytes: number;
  limitBytes: number;
}

/**
 * One line of `docker stats --no-stream --format '{{json .}}'`; undefined for a container
 * without figures (docker prints `--` while it starts or stops) or a line that is not one.
 */
export function parseStatsLine(line: string): Reading | undefined {
  let row: unknown;
  try {
    row = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof row !== 'object' || row === null) return undefined;
  const { Name, CPUPerc, MemUsage } = row as Record<string, unknown>;
  if (typeof Name !== 'string' || typeof CPUPerc !== 'string' || typeof MemUsage !== 'string') {
    return undefined;
  }
  const [used = '', limit = ''] = MemUsage.split('/');
  const cpuPercent = parsePercent(CPUPerc);
  const memoryBytes = parseBytes(used);
  const limitBytes = parseBytes(limit);
  if (cpuPercent === undefined || memoryBytes === undefined || limitBytes === undefined) {
    return undefined;
  }
  return { container: Name, cpuPercent, memoryBytes, limitBytes };
}

export interface ContainerUsage {
  container: string;
  /** Samples in which the container had figures. */
  samples: number;
  meanCpuPercent: number;
  peakCpuPercent: number;
  meanMemoryMiB: number;
  peakMemoryMiB: number;
  /** The limit docker reports: mem_limit, or the machine's memory when there is none. */
  limitMiB: number;
}

export interface Totals {
  /** The peaks added up: an upper bound, since they need not fall in the same sample. */
  peakMemoryMiB: number;
  /** The means added up, in cores (100 % is one core). */
  meanCpuCores: number;
}

const mib = (bytes: number) => bytes / 2 ** 20;
const round = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places;

/** Every sample's readings folded into one row per container, sorted by name. */
export function summarise(samples: Reading[][]): { containers: ContainerUsage[]; totals: Totals } {
  const byContainer = new Map<string, Reading[]>();
  for (const sample of samples) {
    for (const reading of sample) {
      const readings = byContainer.get(reading.container) ?? [];
      readings.push(reading);
      byContainer.set(reading.container, readings);
    }
  }
  const containers = [...byContainer.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([container, readings]): ContainerUsage => {
      const cpu = readings.map((r) => r.cpuPercent);
      const memory = readings.map((r) => mib(r.memoryBytes));
      const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
      return {
        container,
        samples: readings.length,
        meanCpuPercent: round(sum(cpu) / cpu.length, 2),
        peakCpuPercent: round(Math.max(...cpu), 2),
        meanMemoryMiB: round(sum(memory) / memory.length, 1),
        peakMemoryMiB: round(Math.max(...memory), 1),
        limitMiB: round(mib(Math.max(...readings.map((r) => r.limitBytes))), 1),
      };
    });
  return {
    containers,
    totals: {
      peakMemoryMiB: round(
        containers.reduce((total, c) => total + c.peakMemoryMiB, 0),
        1,
      ),
      meanCpuCores: round(containers.reduce((total, c) => total + c.meanCpuPercent, 0) / 100, 2),
    },
  };
}

/** The figures of `pnpm load --json`'s summary that the table's caption shows. */
export interface LoadFigures {
  seconds: number;
  requests: number;
  errors: number;
  errorRate: number;
}

export function formatLoadLine(load: LoadFigures): string {
  const rps = load.seconds > 0 ? load.requests / load.seconds : 0;
  return (
    `load: ${load.requests} requests in ${load.seconds.toFixed(1)} s, ${rps.toFixed(1)} req/s, ` +
    `${load.errors} errors (${(load.errorRate * 100).toFixed(2)} %)`
  );
}

/** The Markdown table, one row per container, then the totals. */
export function formatTable(usage: { containers: ContainerUsage[]; totals: Totals }): string {
  const lines = [
    '| container | samples | mean CPU % | peak CPU % | mean memory MiB | peak memory MiB | memory limit MiB |',
    '|---|--:|--:|--:|--:|--:|--:|',
    ...usage.containers.map(
      (c) =>
        `| ${c.container} | ${c.samples} | ${c.meanCpuPercent.toFixed(1)} | ` +
        `${c.peakCpuPercent.toFixed(1)} | ${c.meanMemoryMiB.toFixed(1)} | ` +
        `${c.peakMemoryMiB.toFixed(1)} | ${c.limitMiB.toFixed(0)} |`,
    ),
    `| **total** | | ${usage.totals.meanCpuCores.toFixed(2)} cores | | | ` +
      `${usage.totals.peakMemoryMiB.toFixed(1)} | |`,
  ];
  return lines.join('\n');
}
