/**
 * The reference tools the accuracy tests compare the service with: GeographicLib's own C++
 * utilities (Debian package geographiclib-tools) and PROJ's cs2cs (proj-bin). Each test runs a
 * tool once over all its points, through stdin, and reads one output line per input line.
 */
import { spawnSync } from 'node:child_process';
import { test } from 'vitest';
import type { LatLon } from '../../src/domain/geographic.ts';
import type { UtmUps } from '../../src/domain/utmups.ts';
import { plain } from './points.ts';

export interface Oracle {
  command: string;
  /** The Debian package that installs it, named in skip and failure messages. */
  installedBy: string;
  available: boolean;
  /** What `--version` printed, e.g. `GeoConvert: GeographicLib version 2.1.2`. */
  version: string;
}

function oracle(command: string, installedBy: string): Oracle {
  const probe = spawnSync(command, ['--version'], { input: '', encoding: 'utf8' });
  const missing = (probe.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  // cs2cs prints its release on stderr (and then complains about the option).
  const version = `${probe.stdout ?? ''}${probe.stderr ?? ''}`.split('\n')[0]?.trim() ?? '';
  return {
    command,
    installedBy,
    available: !missing,
    version: missing ? 'not installed' : version,
  };
}

export const geoConvert = oracle('GeoConvert', 'geographiclib-tools');
export const geodSolve = oracle('GeodSolve', 'geographiclib-tools');
export const cartConvert = oracle('CartConvert', 'geographiclib-tools');
export const cs2cs = oracle('cs2cs', 'proj-bin');

const inCi = !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());

type Body = () => void | Promise<void>;

/**
 * `test`, unless one of `oracles` is not installed: then, outside CI, the test is skipped with
 * the reason in its name; in CI it runs, and `run` fails it saying which package is missing.
 */
export function testWith(...oracles: Oracle[]): (name: string, body: Body) => void {
  const missing = oracles.filter((tool) => !tool.available);
  if (missing.length === 0 || inCi) {
    // Each test converts tens of thousands of values: room for a slow runner, not a sleep.
    return (name, body) => test(name, { timeout: 30_000 }, body);
  }
  const reason = missing.map((tool) => `${tool.command} (${tool.installedBy})`).join(', ');
  return (name, body) =>
    test.skip(`${name} [skipped: ${reason} not installed; fails when CI=true]`, body);
}

/**
 * Runs `tool` once with `args`, one input line per element of `lines`, and answers its output
 * lines, which must be exactly as many: a tool that prints less (or dies) fails the test here
 * rather than letting a comparison run over fewer values than it claims.
 */
export function run(tool: Oracle, args: readonly string[], lines: readonly string[]): string[] {
  if (!tool.available) {
    throw new Error(`${tool.command} is not installed (Debian package ${tool.installedBy})`);
  }
  const result = spawnSync(tool.command, args, {
    input: `${lines.join('\n')}\n`,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  if (result.signal) throw new Error(`${tool.command} ${args.join(' ')} died of ${result.signal}`);
  const output = result.stdout.split('\n');
  if (output.at(-1) === '') output.pop();
  if (output.length !== lines.length) {
    throw new Error(
      `${tool.command} ${args.join(' ')} printed ${output.length} lines for ${lines.length} ` +
        `(status ${result.status}): ${result.stderr.slice(0, 500)}`,
    );
  }
  return output.map((line) => line.trim());
}

/** GeographicLib's tools answer a line they refuse with `ERROR: <reason>` and carry on. */
export function refusal(line: string): string | undefined {
  return line.startsWith('ERROR:') ? line : undefined;
}

/** The numbers of a whitespace-separated output line, which must hold exactly `count`. */
export function numbers(line: string, count: number): number[] {
  const values = line.split(/\s+/).map(Number);
  if (values.length !== count || values.some((value) => !Number.isFinite(value))) {
    throw new Error(`expected ${count} numbers, got "${line}"`);
  }
  return values;
}

/** GeoConvert's UTM/UPS: `33n 500000 4649776`, or `n 2000000 2000000` for UPS (zone 0). */
export function utmLine({ zone, hemisphere, easting, northing }: UtmUps): string {
  return `${zone === 0 ? '' : zone}${hemisphere.toLowerCase()} ${plain(easting)} ${plain(northing)}`;
}

export function parseUtmLine(line: string): UtmUps {
  const match = /^(\d{0,2})([ns]) (\S+) (\S+)$/.exec(line);
  if (!match) throw new Error(`not a GeoConvert UTM/UPS line: "${line}"`);
  const [, zone = '', hemisphere = '', easting = '', northing = ''] = match;
  return {
    zone: zone === '' ? 0 : Number(zone),
    hemisphere: hemisphere === 'n' ? 'N' : 'S',
    easting: Number(easting),
    northing: Number(northing),
  };
}

/** GeoConvert's and CartConvert's latitude and longitude, decimal degrees. */
export function parseLatLonLine(line: string): LatLon {
  const [lat = Number.NaN, lon = Number.NaN] = numbers(line, 2);
  return { lat, lon };
}
