import { afterAll, describe, expect } from 'vitest';
import { formatDms, parseDms } from '../../src/domain/geographic.ts';
import { geoConvert, run, testWith } from './oracle.ts';
import { globePoints, latLonLine } from './points.ts';
import { createAccuracyReport, worstOf } from './report.ts';

const points = globePoints();
const precisions = Array.from({ length: 12 }, (_, decimals) => decimals);
const report = createAccuracyReport('dms.test.ts');
afterAll(() => report.publish());

/** GeoConvert -d writes `d` for degrees where the service writes `°`. */
function withDegreeSign(line: string): string {
  return line.replaceAll('d', '°');
}

/** GeoConvert's -p is relative to 1 m; for DMS the seconds get 1 + p decimals. */
function geoConvertDms(decimals: number): string[] {
  return run(geoConvert, ['-d', '-p', String(decimals - 1)], points.map(latLonLine));
}

/**
 * Written with `decimals` decimals of a second, a position is off by at most half the last
 * digit; reading it back sums degrees, minutes and seconds in floating point, which adds a few
 * ulps of 180° (under 1e-13°), more than half a digit once there are 11 decimals.
 */
function allowance(decimals: number): number {
  return (0.5 * 10 ** -decimals) / 3600 + 1e-13;
}

describe('degrees, minutes and seconds against GeoConvert -d', () => {
  testWith(geoConvert)(
    'written with 0 to 11 decimals of a second, the text is GeoConvert’s with ° for d',
    () => {
      let compared = 0;
      const mismatches: string[] = [];
      for (const decimals of precisions) {
        const output = geoConvertDms(decimals);
        points.forEach((point, index) => {
          const expected = withDegreeSign(output[index] ?? '');
          const got = formatDms(point, decimals);
          compared += 1;
          if (got !== expected) {
            mismatches.push(
              `${point.why} (${point.lat} ${point.lon}) at ${decimals}: expected ${expected}, got ${got}`,
            );
          }
        });
      }

      report.record('DMS text (0-11 decimals) vs GeoConvert -d', geoConvert, {
        worst: mismatches.length,
        unit: 'differing strings',
        tolerance: 0,
        points: compared,
      });
      expect(compared).toBe(points.length * precisions.length);
      expect(mismatches.slice(0, 10), `${mismatches.length} mismatches`).toEqual([]);
    },
  );

  testWith(geoConvert)('GeoConvert’s DMS text reads back within its own rounding', () => {
    const ratios: number[] = [];
    const mismatches: string[] = [];
    for (const decimals of precisions) {
      const output = geoConvertDms(decimals);
      points.forEach((point, index) => {
        const text = withDegreeSign(output[index] ?? '');
        let ratio: number;
        let got: string;
        try {
          const read = parseDms(text);
          ratio = Math.max(
            Math.abs(read.lat - point.lat),
            // ±180 are the same meridian, and GeoConvert may write either.
            Math.min(Math.abs(read.lon - point.lon), 360 - Math.abs(read.lon - point.lon)),
          );
          ratio /= allowance(decimals);
          got = `${read.lat} ${read.lon}`;
        } catch (error) {
          ratio = Number.POSITIVE_INFINITY;
          got = String(error);
        }
        ratios.push(ratio);
        if (!(ratio <= 1)) {
          mismatches.push(`${text} (from ${point.lat} ${point.lon}) read as ${got}`);
        }
      });
    }

    report.record('DMS read-back of GeoConvert -d text (0-11 decimals)', geoConvert, {
      worst: worstOf(ratios),
      unit: 'x rounding allowance',
      tolerance: 1,
      points: ratios.length,
      note: 'allowance: half the last digit of the seconds, plus 1e-13 deg',
    });
    expect(ratios).toHaveLength(points.length * precisions.length);
    expect(mismatches.slice(0, 10), `${mismatches.length} mismatches`).toEqual([]);
  });
});
