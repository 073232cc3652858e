import { afterAll, describe, expect } from 'vitest';
import { PositionError } from '../../src/domain/errors.ts';
import { toUtmUps, type UtmUps } from '../../src/domain/utmups.ts';
import { geoConvert, parseUtmLine, refusal, run, testWith } from './oracle.ts';
import { everyNth, globePoints, latLonLine, type Sample } from './points.ts';
import { createAccuracyReport, worstOf } from './report.ts';

const MICROMETRE = 1e-6;
const points = globePoints();
const report = createAccuracyReport('utm-ups.test.ts');
afterAll(() => report.publish());

function describePoint(point: Sample): string {
  return `${point.why} (${point.lat} ${point.lon})`;
}

/**
 * On the equator exactly 90° from a zone's central meridian, transverse Mercator is singular:
 * GeoConvert -z prints `nan nan` there, where the service refuses. Both mean "no answer".
 */
function singular(line: string): boolean {
  return /\bnan\b/i.test(line);
}

function attempt(point: Sample, zone?: number): UtmUps | PositionError {
  try {
    return toUtmUps(point, zone);
  } catch (error) {
    if (error instanceof PositionError) return error;
    throw error;
  }
}

interface Comparison {
  /** Lines read, whatever their outcome. */
  compared: number;
  mismatches: string[];
  errors: number[];
  refusals: number;
}

/** Lines of `GeoConvert -u` against the service for the same points, one by one. */
function compare(sample: readonly Sample[], output: readonly string[], zone?: number): Comparison {
  const result: Comparison = { compared: 0, mismatches: [], errors: [], refusals: 0 };
  sample.forEach((point, index) => {
    result.compared += 1;
    const line = output[index] ?? '';
    const got = attempt(point, zone);
    const refused = refusal(line) ?? (singular(line) ? line : undefined);
    if (refused) {
      result.refusals += 1;
      if (!(got instanceof PositionError)) {
        result.mismatches.push(`${describePoint(point)}: GeoConvert ${refused}, service answered`);
      }
      return;
    }
    const expected = parseUtmLine(line);
    if (got instanceof PositionError) {
      result.mismatches.push(`${describePoint(point)}: expected ${line}, service: ${got.message}`);
      return;
    }
    const error = Math.max(
      Math.abs(got.easting - expected.easting),
      Math.abs(got.northing - expected.northing),
    );
    result.errors.push(error);
    if (
      got.zone !== expected.zone ||
      got.hemisphere !== expected.hemisphere ||
      !(error <= MICROMETRE)
    ) {
      result.mismatches.push(
        `${describePoint(point)}: expected ${line}, got ${got.zone}${got.hemisphere} ${got.easting} ${got.northing}`,
      );
    }
  });
  return result;
}

describe('UTM/UPS against GeoConvert', () => {
  testWith(geoConvert)(
    'in the standard zone, zone and hemisphere match and easting/northing agree within 1 µm',
    () => {
      const output = run(geoConvert, ['-u', '-p', '9'], points.map(latLonLine));

      const { compared, mismatches, errors, refusals } = compare(points, output);

      report.record('UTM/UPS (standard zone) vs GeoConvert -u', geoConvert, {
        worst: worstOf(errors),
        unit: 'm',
        tolerance: MICROMETRE,
        points: errors.length,
      });
      expect(compared).toBe(points.length);
      expect(refusals).toBe(0);
      expect(errors).toHaveLength(points.length);
      expect(mismatches.slice(0, 10), `${mismatches.length} mismatches`).toEqual([]);
    },
  );

  // A nanometre is far inside the tolerance above, yet on a 100 km line it moves the MGRS
  // square (mgrs.test.ts). Where symmetry puts a coordinate exactly on such a line,
  // GeographicLib lands on it to the bit, and so must the service.
  testWith(geoConvert)(
    'on the meridians where the grid is exact (UPS at 0°, ±90°, ±180°; a UTM central meridian; the equator), the coordinate is exactly GeoConvert’s',
    () => {
      const output = run(geoConvert, ['-u', '-p', '9'], points.map(latLonLine));
      const checked: string[] = [];
      const mismatches: string[] = [];
      points.forEach((point, index) => {
        const expected = parseUtmLine(output[index] ?? '');
        const got = attempt(point);
        if (got instanceof PositionError) return;
        const exact: ('easting' | 'northing')[] = [];
        if (expected.zone === 0) {
          if (point.lon % 180 === 0) exact.push('easting');
          if (Math.abs(point.lon % 180) === 90) exact.push('northing');
        } else {
          if (point.lon === expected.zone * 6 - 183) exact.push('easting');
          if (point.lat === 0) exact.push('northing');
        }
        for (const axis of exact) {
          checked.push(axis);
          // GeoConvert prints nanometres: a whole number there is the line itself.
          if (!Number.isInteger(expected[axis]) || got[axis] !== expected[axis]) {
            mismatches.push(
              `${describePoint(point)}: ${axis} GeoConvert ${expected[axis]}, service ${got[axis]}`,
            );
          }
        }
      });

      expect(checked.filter((axis) => axis === 'easting').length).toBeGreaterThan(100);
      expect(checked.filter((axis) => axis === 'northing').length).toBeGreaterThan(100);
      expect(mismatches.slice(0, 10), `${mismatches.length} mismatches`).toEqual([]);
    },
  );

  // GeoConvert takes one zone per run (-z), so this runs it once per zone over a sample.
  testWith(geoConvert)(
    'in an asked-for zone (0 is UPS), the service refuses where GeoConvert does and agrees elsewhere',
    () => {
      const sample = everyNth(points, 15);
      const zones = Array.from({ length: 61 }, (_, zone) => zone);
      let compared = 0;
      let accepted = 0;
      let refused = 0;
      const errors: number[] = [];
      const mismatches: string[] = [];
      for (const zone of zones) {
        const output = run(
          geoConvert,
          ['-u', '-p', '9', '-z', String(zone)],
          sample.map(latLonLine),
        );
        const result = compare(sample, output, zone);
        compared += result.compared;
        accepted += result.errors.length;
        refused += result.refusals;
        errors.push(...result.errors);
        mismatches.push(...result.mismatches.map((text) => `zone ${zone}: ${text}`));
      }

      report.record('UTM/UPS (asked-for zone 0-60) vs GeoConvert -u -z', geoConvert, {
        worst: worstOf(errors),
        unit: 'm',
        tolerance: MICROMETRE,
        points: errors.length,
      });
      expect(compared).toBe(sample.length * zones.length);
      // Both outcomes must occur, or this compared nothing of one kind.
      expect(accepted).toBeGreaterThan(sample.length);
      expect(refused).toBeGreaterThan(sample.length);
      expect(mismatches.slice(0, 10), `${mismatches.length} mismatches`).toEqual([]);
    },
  );
});
