import { afterAll, describe, expect } from 'vitest';
import { fromEcef, toEcef } from '../../src/domain/projected.ts';
import { cartConvert, numbers, run, testWith } from './oracle.ts';
import { globePoints, latLonLine, metresApart, plain } from './points.ts';
import { createAccuracyReport, worstOf } from './report.ts';

const MICROMETRE = 1e-6;
const points = globePoints();
const report = createAccuracyReport('ecef.test.ts');
afterAll(() => report.publish());

describe('ECEF against CartConvert', () => {
  testWith(cartConvert)('lat/lon on the ellipsoid → X Y Z agree within 1 µm on each axis', () => {
    const output = run(
      cartConvert,
      ['-p', '9'],
      points.map((point) => `${latLonLine(point)} 0`),
    );

    const errors: number[] = [];
    const mismatches: string[] = [];
    points.forEach((point, index) => {
      const [x, y, z] = numbers(output[index] ?? '', 3);
      const got = toEcef(point);
      const error = Math.max(
        Math.abs(got.x - (x ?? Number.NaN)),
        Math.abs(got.y - (y ?? Number.NaN)),
        Math.abs(got.z - (z ?? Number.NaN)),
      );
      errors.push(error);
      if (!(error <= MICROMETRE)) {
        mismatches.push(
          `${point.why} (${point.lat} ${point.lon}): expected ${output[index]}, got ${got.x} ${got.y} ${got.z}`,
        );
      }
    });

    report.record('ECEF X Y Z vs CartConvert', cartConvert, {
      worst: worstOf(errors),
      unit: 'm',
      tolerance: MICROMETRE,
      points: errors.length,
    });
    expect(errors).toHaveLength(points.length);
    expect(mismatches.slice(0, 10), `${mismatches.length} mismatches`).toEqual([]);
  });

  // The service drops the height, so points above and below the ellipsoid (down to a deep
  // mine, up to geostationary orbit) must still come back to the right place on it.
  testWith(cartConvert)(
    'X Y Z → lat/lon lands within 1 µm of CartConvert -r, on and off the ellipsoid',
    () => {
      const heights = [0, -4000, 9000, 400_000, 35_786_000];
      const cases = points.map((point, index) => ({
        ...point,
        height: heights[index % heights.length] ?? 0,
      }));
      const cartesian = run(
        cartConvert,
        ['-p', '9'],
        cases.map((point) => `${latLonLine(point)} ${plain(point.height)}`),
      ).map((line) => numbers(line, 3));
      const output = run(
        cartConvert,
        ['-r', '-p', '9'],
        cartesian.map((xyz) => xyz.map(plain).join(' ')),
      );

      const errors: number[] = [];
      const mismatches: string[] = [];
      cases.forEach((point, index) => {
        const [lat, lon] = numbers(output[index] ?? '', 3);
        const [x = Number.NaN, y = Number.NaN, z = Number.NaN] = cartesian[index] ?? [];
        const expected = { lat: lat ?? Number.NaN, lon: lon ?? Number.NaN };
        const got = fromEcef({ x, y, z });
        const error = metresApart(expected, got);
        errors.push(error);
        if (!(error <= MICROMETRE)) {
          mismatches.push(
            `${point.why} (${point.lat} ${point.lon} at ${point.height} m) as ${x} ${y} ${z}: ` +
              `expected ${output[index]}, got ${got.lat} ${got.lon} (${error} m)`,
          );
        }
      });

      report.record('ECEF -> lat/lon vs CartConvert -r', cartConvert, {
        worst: worstOf(errors),
        unit: 'm',
        tolerance: MICROMETRE,
        points: errors.length,
        note: `heights ${heights.join(', ')} m`,
      });
      expect(errors).toHaveLength(cases.length);
      expect(mismatches.slice(0, 10), `${mismatches.length} mismatches`).toEqual([]);
    },
  );
});
