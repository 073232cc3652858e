import { afterAll, describe, expect, test } from 'vitest';
import type { LatLon } from '../../src/domain/geographic.ts';
import { fromMgrs, fromUtmUps, toMgrs, toUtmUps } from '../../src/domain/utmups.ts';
import {
  geoConvert,
  type Oracle,
  parseLatLonLine,
  refusal,
  run,
  testWith,
  utmLine,
} from './oracle.ts';
import { globePoints, metresApart, type Sample } from './points.ts';
import { createAccuracyReport, worstOf } from './report.ts';

const MICROMETRE = 1e-6;
const points = globePoints();
const report = createAccuracyReport('round-trips.test.ts');
afterAll(() => report.publish());

interface Distances {
  distances: number[];
  mismatches: string[];
}

/** Metres between each point's expected and got position, with the ones beyond `tolerance`. */
function measure(
  samples: readonly Sample[],
  expected: (point: Sample, index: number) => LatLon | string,
  got: (point: Sample, index: number) => LatLon,
  tolerance: number,
): Distances {
  const result: Distances = { distances: [], mismatches: [] };
  samples.forEach((point, index) => {
    const where = `${point.why} (${point.lat} ${point.lon})`;
    const want = expected(point, index);
    if (typeof want === 'string') {
      result.mismatches.push(`${where}: the oracle refused: ${want}`);
      return;
    }
    let have: LatLon;
    try {
      have = got(point, index);
    } catch (error) {
      result.mismatches.push(`${where}: expected ${want.lat} ${want.lon}, service threw ${error}`);
      return;
    }
    const distance = metresApart(want, have);
    result.distances.push(distance);
    if (!(distance <= tolerance)) {
      result.mismatches.push(
        `${where}: expected ${want.lat} ${want.lon}, got ${have.lat} ${have.lon} (${distance} m)`,
      );
    }
  });
  return result;
}

/** Records the worst distance, then asserts every point was compared and none was off. */
function expectAllWithinMicrometre(check: string, oracle: Oracle | null, result: Distances) {
  report.record(check, oracle, {
    worst: worstOf(result.distances),
    unit: 'm',
    tolerance: MICROMETRE,
    points: result.distances.length,
  });
  expect(result.distances).toHaveLength(points.length);
  expect(result.mismatches.slice(0, 10), `${result.mismatches.length} mismatches`).toEqual([]);
}

describe('round trips through the grids', () => {
  test('lat/lon → UTM/UPS → lat/lon comes back within 1 µm', () => {
    const { distances, mismatches } = measure(
      points,
      (point) => point,
      (point) => fromUtmUps(toUtmUps(point)),
      MICROMETRE,
    );

    expectAllWithinMicrometre('lat/lon -> UTM/UPS -> lat/lon', null, { distances, mismatches });
  });

  // Eleven digits truncate to a 1 µm square and read back as its centre: at most half its
  // diagonal (0.71 µm on the grid, a little more on the ground where the scale is below 1) away.
  test('lat/lon → MGRS (11 digits) → lat/lon comes back within 1 µm', () => {
    const { distances, mismatches } = measure(
      points,
      (point) => point,
      (point) => fromMgrs(toMgrs(point, 11)),
      MICROMETRE,
    );

    expectAllWithinMicrometre('lat/lon -> MGRS (11 digits) -> lat/lon', null, {
      distances,
      mismatches,
    });
  });
});

describe('reading UTM/UPS and MGRS, against GeoConvert', () => {
  testWith(geoConvert)('UTM/UPS reads back where GeoConvert reads it, within 1 µm', () => {
    const grids = points.map((point) => toUtmUps(point));
    const output = run(geoConvert, ['-p', '9'], grids.map(utmLine));

    const { distances, mismatches } = measure(
      points,
      (_, index) => {
        const line = output[index] ?? '';
        return refusal(line) ?? parseLatLonLine(line);
      },
      (_, index) => {
        const grid = grids[index];
        if (!grid) throw new Error('no grid for this point');
        return fromUtmUps(grid);
      },
      MICROMETRE,
    );

    expectAllWithinMicrometre('UTM/UPS -> lat/lon vs GeoConvert', geoConvert, {
      distances,
      mismatches,
    });
  });

  testWith(geoConvert)(
    'MGRS at every precision reads back as the centre of its square, where GeoConvert puts it, within 1 µm',
    () => {
      const precisions = Array.from({ length: 12 }, (_, precision) => precision);
      const distances: number[] = [];
      const mismatches: string[] = [];
      for (const precision of precisions) {
        const references = points.map((point) => toMgrs(point, precision));
        const output = run(geoConvert, ['-p', '9'], references);
        const result = measure(
          points,
          (_, index) => {
            const line = output[index] ?? '';
            return refusal(line) ?? parseLatLonLine(line);
          },
          (_, index) => fromMgrs(references[index] ?? ''),
          MICROMETRE,
        );
        distances.push(...result.distances);
        mismatches.push(...result.mismatches.map((text) => `${text} at precision ${precision}`));
      }

      report.record('MGRS (precision 0-11) -> lat/lon vs GeoConvert', geoConvert, {
        worst: worstOf(distances),
        unit: 'm',
        tolerance: MICROMETRE,
        points: distances.length,
      });
      expect(distances).toHaveLength(points.length * precisions.length);
      expect(mismatches.slice(0, 10), `${mismatches.length} mismatches`).toEqual([]);
    },
  );
});
