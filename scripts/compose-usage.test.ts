import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import {
  formatLoadLine,
  formatTable,
  maxSamples,
  parseBytes,
  parsePercent,
  parseStatsLine,
  parseUsageArgs,
  type Reading,
  summarise,
  UsageError,
} from './compose-usage-stats.ts';

const script = fileURLToPath(new URL('compose-usage.ts', import.meta.url));

/** One line as `docker stats --no-stream --format '{{json .}}'` prints it. */
const aStatsLine = (overrides: Record<string, string> = {}) =>
  JSON.stringify({
    BlockIO: '0B / 4.1kB',
    CPUPerc: '1.25%',
    Container: '3f0c2a1b9d8e',
    ID: '3f0c2a1b9d8e',
    MemPerc: '19.53%',
    MemUsage: '12.5MiB / 64MiB',
    Name: 'quadrants-usage_gateway_1',
    NetIO: '1.2MB / 3.4MB',
    PIDs: '3',
    ...overrides,
  });

const aReading = (overrides: Partial<Reading> = {}): Reading => ({
  container: 'quadrants-usage_geo_1',
  cpuPercent: 10,
  memoryBytes: 50 * 2 ** 20,
  limitBytes: 256 * 2 ** 20,
  ...overrides,
});

describe('parseBytes', () => {
  test.each([
    ['0B', 0],
    ['512B', 512],
    ['12.5MiB', 12.5 * 2 ** 20],
    ['1.5GiB', 1.5 * 2 ** 30],
    ['768KiB', 768 * 2 ** 10],
    ['512kB', 512_000],
    ['3.4MB', 3_400_000],
    ['1.2GB', 1_200_000_000],
    [' 23.49GiB ', 23.49 * 2 ** 30],
  ])('reads %s as %d bytes', (raw, bytes) => {
    expect(parseBytes(raw)).toBeCloseTo(bytes, 0);
  });

  test.each(['--', '', 'MiB', '12.5', '12.5XB', '-1MiB'])('reads "%s" as no figure', (raw) => {
    expect(parseBytes(raw)).toBeUndefined();
  });
});

describe('parsePercent', () => {
  test('reads docker’s CPU and memory percentages, above 100 % on more than one core', () => {
    expect(parsePercent('0.00%')).toBe(0);
    expect(parsePercent('19.53%')).toBe(19.53);
    expect(parsePercent('153.2%')).toBe(153.2);
  });

  test('reads -- (a container starting or stopping) as no figure', () => {
    expect(parsePercent('--')).toBeUndefined();
    expect(parsePercent('12')).toBeUndefined();
  });
});

describe('parseStatsLine', () => {
  test('takes the name, the CPU, the memory used and its limit from one JSON line', () => {
    expect(parseStatsLine(aStatsLine())).toEqual({
      container: 'quadrants-usage_gateway_1',
      cpuPercent: 1.25,
      memoryBytes: 12.5 * 2 ** 20,
      limitBytes: 64 * 2 ** 20,
    });
  });

  test('when the container has no figures yet, gives none', () => {
    expect(parseStatsLine(aStatsLine({ CPUPerc: '--', MemUsage: '-- / --' }))).toBeUndefined();
  });

  test('when the line is not docker’s JSON, gives none', () => {
    expect(parseStatsLine('')).toBeUndefined();
    expect(parseStatsLine('Error response from daemon')).toBeUndefined();
    expect(parseStatsLine('[]')).toBeUndefined();
    expect(parseStatsLine(JSON.stringify({ Name: 'x', CPUPerc: 1 }))).toBeUndefined();
  });
});

describe('summarise', () => {
  test('gives each container its mean and peak over the samples it was in, sorted by name', () => {
    const { containers } = summarise([
      [aReading({ cpuPercent: 10, memoryBytes: 40 * 2 ** 20 })],
      [
        aReading({ cpuPercent: 30, memoryBytes: 60 * 2 ** 20 }),
        aReading({ container: 'quadrants-usage_basket_1', cpuPercent: 4, limitBytes: 2 ** 27 }),
      ],
    ]);
    expect(containers).toEqual([
      {
        container: 'quadrants-usage_basket_1',
        samples: 1,
        meanCpuPercent: 4,
        peakCpuPercent: 4,
        meanMemoryMiB: 50,
        peakMemoryMiB: 50,
        limitMiB: 128,
      },
      {
        container: 'quadrants-usage_geo_1',
        samples: 2,
        meanCpuPercent: 20,
        peakCpuPercent: 30,
        meanMemoryMiB: 50,
        peakMemoryMiB: 60,
        limitMiB: 256,
      },
    ]);
  });

  test('adds up the peaks of memory and the means of CPU, in cores', () => {
    const { totals } = summarise([
      [
        aReading({ cpuPercent: 50, memoryBytes: 100 * 2 ** 20 }),
        aReading({ container: 'b', cpuPercent: 25, memoryBytes: 30.25 * 2 ** 20 }),
      ],
    ]);
    expect(totals).toEqual({ peakMemoryMiB: 130.3, meanCpuCores: 0.75 });
  });

  test('with no samples, has no rows and totals of zero', () => {
    expect(summarise([])).toEqual({
      containers: [],
      totals: { peakMemoryMiB: 0, meanCpuCores: 0 },
    });
  });
});

describe('formatTable', () => {
  test('prints a Markdown row per container and a row of totals', () => {
    const table = formatTable(summarise([[aReading()], [aReading({ cpuPercent: 20 })]]));
    expect(table.split('\n')).toEqual([
      '| container | samples | mean CPU % | peak CPU % | mean memory MiB | peak memory MiB | memory limit MiB |',
      '|---|--:|--:|--:|--:|--:|--:|',
      '| quadrants-usage_geo_1 | 2 | 15.0 | 20.0 | 50.0 | 50.0 | 256 |',
      '| **total** | | 0.15 cores | | | 50.0 | |',
    ]);
  });
});

describe('formatLoadLine', () => {
  test('gives requests, req/s and errors of the load’s summary', () => {
    expect(formatLoadLine({ seconds: 60.4, requests: 5160, errors: 3, errorRate: 0.000581 })).toBe(
      'load: 5160 requests in 60.4 s, 85.4 req/s, 3 errors (0.06 %)',
    );
  });
});

describe('parseUsageArgs', () => {
  test('without flags, project quadrants at compose’s gateway, 5 journeys/s for 60 s', () => {
    expect(parseUsageArgs([])).toEqual({
      project: 'quadrants',
      origin: 'http://127.0.0.1:18080',
      rate: 5,
      durationSeconds: 60,
      everySeconds: 5,
      json: false,
      help: false,
    });
  });

  test('reads every flag', () => {
    const args = [
      '--project',
      'quadrants-usage',
      '--origin=http://localhost:32768/',
      '--rate',
      '2',
    ];
    expect(parseUsageArgs([...args, '--duration', '2m', '--every', '10', '--json'])).toMatchObject({
      project: 'quadrants-usage',
      origin: 'http://localhost:32768',
      rate: 2,
      durationSeconds: 120,
      everySeconds: 10,
      json: true,
    });
  });

  test.each([
    [['--origin', 'http://example.com:18080'], /127\.0\.0\.1 or localhost/],
    [['--origin', 'https://127.0.0.1:18080'], /http:\/\//],
    [['--origin', 'not a url'], /must be a URL/],
    [['--project', 'Quadrants Usage'], /compose project name/],
    [['--rate', '0'], /--rate/],
    [['--rate', '500'], /--rate/],
    [['--duration', '2h'], /--duration/],
    [['--every', '1s'], /--every/],
    [['--speed', '3'], /Unknown option/],
  ])('refuses %j', (args, message) => {
    expect(() => parseUsageArgs(args)).toThrow(UsageError);
    expect(() => parseUsageArgs(args)).toThrow(message);
  });

  test('bounds the samples: the duration and a minute of drain, at --every', () => {
    expect(maxSamples({ durationSeconds: 60, everySeconds: 5 })).toBe(25);
    expect(maxSamples({ durationSeconds: 3600, everySeconds: 2 })).toBe(1831);
  });
});

describe('compose-usage.ts', () => {
  test('exits 2 with the usage for a bad flag, before it asks docker anything', () => {
    const result = spawnSync(process.execPath, [script, '--origin', 'http://10.0.0.1:80'], {
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('usage: pnpm usage:compose');
  });
});
