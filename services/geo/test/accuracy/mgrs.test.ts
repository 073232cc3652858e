import { afterAll, describe, expect } from 'vitest';
import { toMgrs, type UtmUps } from '../../src/domain/utmups.ts';
import { geoConvert, parseUtmLine, run, testWith } from './oracle.ts';
import { globePoints, latLonLine } from './points.ts';
import { createAccuracyReport } from './report.ts';

const points = globePoints();
const report = createAccuracyReport('mgrs.test.ts');
afterAll(() => report.publish());

/**
 * MGRS truncates, so a coordinate a hair below a multiple of the square's size is written one
 * digit lower than one a hair above. The service and GeographicLib compute UTM/UPS to within
 * a few nanometres of each other (utm-ups.test.ts), not to the bit; where GeographicLib's
 * coordinate lies within 10 nm of such a boundary, the last digit of that axis may differ by
 * one. Nowhere else may the strings differ.
 */
const TIE = 1e-8;

function attempt(convert: () => string): string {
  try {
    return convert();
  } catch (error) {
    return `threw ${(error as Error).message}`;
  }
}

function nearBoundary(value: number, unit: number): boolean {
  return Math.abs(value - Math.round(value / unit) * unit) <= TIE;
}

/** `33RTJ2089847888…` → its letters, easting digits and northing digits. */
function split(mgrs: string): { square: string; easting: number; northing: number } | undefined {
  const match = /^(\d{0,2}[A-Z]{3})(\d*)$/.exec(mgrs);
  const digits = match?.[2] ?? '';
  if (!match || digits.length % 2 !== 0) return undefined;
  const half = digits.length / 2;
  return {
    square: match[1] ?? '',
    easting: Number(digits.slice(0, half)),
    northing: Number(digits.slice(half)),
  };
}

/** The strings differ only by one in the last digit of an axis that sits on a boundary. */
function isTie(expected: string, got: string, grid: UtmUps, precision: number): boolean {
  const a = split(expected);
  const b = split(got);
  if (!a || !b || a.square !== b.square || expected.length !== got.length) return false;
  const unit = 10 ** (5 - precision);
  const eastingOff = Math.abs(a.easting - b.easting);
  const northingOff = Math.abs(a.northing - b.northing);
  return (
    eastingOff <= (nearBoundary(grid.easting, unit) ? 1 : 0) &&
    northingOff <= (nearBoundary(grid.northing, unit) ? 1 : 0)
  );
}

describe('MGRS against GeoConvert', () => {
  testWith(geoConvert)(
    'at every precision from 0 (the 100 km square) to 11 digits (1 µm) the strings are identical',
    () => {
      const lines = points.map(latLonLine);
      const grids = run(geoConvert, ['-u', '-p', '9'], lines).map(parseUtmLine);
      const precisions = Array.from({ length: 12 }, (_, precision) => precision);
      let compared = 0;
      let polar = 0;
      const ties: string[] = [];
      const mismatches: string[] = [];
      for (const precision of precisions) {
        // GeoConvert's -p is relative to 1 m, which is 5 digits.
        const output = run(geoConvert, ['-m', '-p', String(precision - 5)], lines);
        points.forEach((point, index) => {
          const expected = output[index] ?? '';
          const got = attempt(() => toMgrs(point, precision));
          compared += 1;
          if (/^[ABYZ]/.test(expected)) polar += 1;
          if (got === expected) return;
          const grid = grids[index];
          const text = `${point.why} (${point.lat} ${point.lon}) at ${precision}: expected ${expected}, got ${got}`;
          if (grid && isTie(expected, got, grid, precision)) ties.push(text);
          else mismatches.push(text);
        });
      }

      report.record('MGRS (precision 0-11) vs GeoConvert -m', geoConvert, {
        worst: mismatches.length,
        unit: 'differing strings',
        tolerance: 0,
        points: compared,
        note: `${ties.length} last-digit ties within 10 nm of a truncation boundary allowed`,
      });
      if (ties.length > 0) console.log(`MGRS ties allowed:\n  ${ties.join('\n  ')}`);
      expect(compared).toBe(points.length * precisions.length);
      // The UPS letters A, B, Y and Z were among those compared.
      expect(polar).toBeGreaterThan(100 * precisions.length);
      // Ties are rare: were they common, the tolerance would be hiding a real difference.
      expect(ties.length).toBeLessThan(compared / 1000);
      expect(mismatches.slice(0, 10), `${mismatches.length} mismatches`).toEqual([]);
    },
  );
});
