import { afterAll, describe, expect } from 'vitest';
import { direct, inverse } from '../../src/domain/geodesic.ts';
import type { LatLon } from '../../src/domain/geographic.ts';
import { geodSolve, numbers, run, testWith } from './oracle.ts';
import { metresApart, plain, randomPoints, seededRandom } from './points.ts';
import { createAccuracyReport, worstOf } from './report.ts';

const MICROMETRE = 1e-6;
const AZIMUTH_DEGREES = 1e-9;
/**
 * On a short line the azimuth is only as good as the positions: one ulp of a latitude near 40°
 * is 0.8 nm, which turns a 0.1 mm line by 1e-4°. So an azimuth also passes when the far end
 * it points to moves by at most 10 nm; on lines over 573 m, 1e-9° is the stricter of the two.
 */
const FAR_END_METRES = 1e-8;
const RADIAN = 180 / Math.PI;
const SHORT_LINE = FAR_END_METRES / (AZIMUTH_DEGREES / RADIAN);
const report = createAccuracyReport('geodesics.test.ts');
afterAll(() => report.publish());

interface Pair {
  from: LatLon;
  to: LatLon;
  why: string;
}

/** The antipode of a point: the other end of every meridian through it. */
function antipode({ lat, lon }: LatLon): LatLon {
  return { lat: -lat, lon: lon > 0 ? lon - 180 : lon + 180 };
}

function pairs(): Pair[] {
  const random = seededRandom(7);
  const starts = randomPoints(300, 11);
  const ends = randomPoints(1500, 13);
  const anywhere: Pair[] = ends.map((to, index) => ({
    from: starts[index % starts.length] ?? to,
    to,
    why: 'random',
  }));
  // Near the antipode the shortest path changes fastest: this is where solvers go wrong.
  const offsets = [0, 1e-12, 1e-9, 1e-6, 1e-3, 0.1, 0.5, 2];
  const antipodal = starts.flatMap((from, index) =>
    offsets.map((offset) => {
      const to = antipode(from);
      const turn = random() * 2 * Math.PI;
      const nudged = {
        lat: Math.max(-90, Math.min(90, to.lat + offset * Math.cos(turn))),
        lon: to.lon + offset * Math.sin(turn),
      };
      return { from, to: index % 4 === 0 ? to : nudged, why: `antipode ± ${offset}°` };
    }),
  );
  const special: Pair[] = [
    { from: { lat: 0, lon: 0 }, to: { lat: 0, lon: 180 }, why: 'equatorial antipodes' },
    { from: { lat: 0, lon: 0 }, to: { lat: 0, lon: 179.5 }, why: 'equator, nearly antipodal' },
    { from: { lat: 0, lon: 0 }, to: { lat: 0, lon: 179.4 }, why: 'equator, along it' },
    { from: { lat: 0, lon: -10 }, to: { lat: 0, lon: 10 }, why: 'equator' },
    { from: { lat: 90, lon: 0 }, to: { lat: -90, lon: 0 }, why: 'pole to pole' },
    { from: { lat: 90, lon: 30 }, to: { lat: 45, lon: -150 }, why: 'from the pole' },
    { from: { lat: -90, lon: 0 }, to: { lat: -89.999999, lon: 180 }, why: 'across the pole' },
    { from: { lat: 40, lon: -75 }, to: { lat: -40, lon: -75 }, why: 'meridional' },
    { from: { lat: 40, lon: -75 }, to: { lat: 40, lon: -75 }, why: 'coincident' },
    { from: { lat: 40, lon: -75 }, to: { lat: 40 + 1e-9, lon: -75 + 1e-9 }, why: 'a few cm' },
    { from: { lat: 0, lon: 179.9999 }, to: { lat: 0, lon: -179.9999 }, why: 'across ±180' },
  ];
  return [...anywhere, ...antipodal, ...special];
}

/** The smallest angle between two azimuths, so that 180 and −180 agree. */
function angleBetween(a: number, b: number): number {
  const difference = Math.abs(a - b) % 360;
  return Math.min(difference, 360 - difference);
}

describe('geodesics against GeodSolve', () => {
  testWith(geodSolve)(
    'inverse: distances agree within 1 µm and azimuths within 1e-9° (10 nm at the far end of short lines), antipodes included',
    () => {
      const all = pairs();
      const output = run(
        geodSolve,
        ['-i', '-p', '9'],
        all.map(
          ({ from, to }) =>
            `${plain(from.lat)} ${plain(from.lon)} ${plain(to.lat)} ${plain(to.lon)}`,
        ),
      );

      const distanceErrors: number[] = [];
      const azimuthErrors: number[] = [];
      let shortLines = 0;
      const mismatches: string[] = [];
      all.forEach(({ from, to, why }, index) => {
        const [azimuth1, azimuth2, distance] = numbers(output[index] ?? '', 3);
        const got = inverse(from, to);
        const distanceError = Math.abs(got.distance - (distance ?? Number.NaN));
        const azimuthError = Math.max(
          angleBetween(got.azimuth1, azimuth1 ?? Number.NaN),
          angleBetween(got.azimuth2, azimuth2 ?? Number.NaN),
        );
        const length = distance ?? Number.NaN;
        const farEnd = (azimuthError / RADIAN) * length;
        distanceErrors.push(distanceError);
        if (length >= SHORT_LINE) azimuthErrors.push(azimuthError);
        else shortLines += 1;
        const azimuthOk = azimuthError <= AZIMUTH_DEGREES || farEnd <= FAR_END_METRES;
        if (!(distanceError <= MICROMETRE) || !azimuthOk) {
          mismatches.push(
            `${why} ${from.lat} ${from.lon} → ${to.lat} ${to.lon}: expected ${output[index]}, ` +
              `got ${got.azimuth1} ${got.azimuth2} ${got.distance}`,
          );
        }
      });

      report.record('geodesic inverse distance vs GeodSolve -i', geodSolve, {
        worst: worstOf(distanceErrors),
        unit: 'm',
        tolerance: MICROMETRE,
        points: distanceErrors.length,
      });
      report.record('geodesic inverse azimuths vs GeodSolve -i', geodSolve, {
        worst: worstOf(azimuthErrors),
        unit: 'deg',
        tolerance: AZIMUTH_DEGREES,
        points: azimuthErrors.length,
        note: `${shortLines} lines under ${Math.round(SHORT_LINE)} m held to 10 nm at the far end instead`,
      });
      expect(distanceErrors).toHaveLength(all.length);
      expect(azimuthErrors.length).toBeGreaterThan(all.length * 0.9);
      expect(mismatches.slice(0, 10), `${mismatches.length} mismatches`).toEqual([]);
    },
  );

  testWith(geodSolve)(
    'direct: the end point agrees within 1 µm and its azimuth within 1e-9°',
    () => {
      const random = seededRandom(17);
      const starts = [
        ...randomPoints(1500, 19),
        { lat: 90, lon: 0, why: 'north pole' },
        { lat: -90, lon: 45, why: 'south pole' },
        { lat: 0, lon: 180, why: 'antimeridian' },
      ];
      // Up to one and a half times round the Earth, and zero.
      const legs = starts.map((start, index) => ({
        start,
        azimuth: index % 10 === 0 ? 90 * ((index / 10) % 4) : 360 * random() - 180,
        distance: index % 25 === 0 ? 0 : 60_000_000 * random(),
      }));
      const output = run(
        geodSolve,
        ['-p', '9'],
        legs.map(({ start, azimuth, distance }) =>
          [start.lat, start.lon, azimuth, distance].map(plain).join(' '),
        ),
      );

      const positionErrors: number[] = [];
      const azimuthErrors: number[] = [];
      const mismatches: string[] = [];
      legs.forEach(({ start, azimuth, distance }, index) => {
        const [lat2, lon2, azimuth2] = numbers(output[index] ?? '', 3);
        const expected = { lat: lat2 ?? Number.NaN, lon: lon2 ?? Number.NaN };
        const got = direct(start, azimuth, distance);
        const positionError = metresApart(expected, { lat: got.lat2, lon: got.lon2 });
        const azimuthError = angleBetween(got.azimuth2, azimuth2 ?? Number.NaN);
        positionErrors.push(positionError);
        azimuthErrors.push(azimuthError);
        if (!(positionError <= MICROMETRE) || !(azimuthError <= AZIMUTH_DEGREES)) {
          mismatches.push(
            `${start.why} ${start.lat} ${start.lon} azimuth ${azimuth} for ${distance} m: ` +
              `expected ${output[index]}, got ${got.lat2} ${got.lon2} ${got.azimuth2}`,
          );
        }
      });

      report.record('geodesic direct end point vs GeodSolve', geodSolve, {
        worst: worstOf(positionErrors),
        unit: 'm',
        tolerance: MICROMETRE,
        points: positionErrors.length,
      });
      report.record('geodesic direct azimuth vs GeodSolve', geodSolve, {
        worst: worstOf(azimuthErrors),
        unit: 'deg',
        tolerance: AZIMUTH_DEGREES,
        points: azimuthErrors.length,
      });
      expect(positionErrors).toHaveLength(legs.length);
      expect(mismatches.slice(0, 10), `${mismatches.length} mismatches`).toEqual([]);
    },
  );
});
