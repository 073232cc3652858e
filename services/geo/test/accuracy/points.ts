/**
 * The points the accuracy tests feed to the service and to GeographicLib's and PROJ's tools:
 * the places where grids switch rules (poles, zone edges, the Norway and Svalbard exceptions,
 * the antimeridian, the equator, the UTM/UPS latitudes) and a seeded spread over the globe.
 */
import { inverse } from '../../src/domain/geodesic.ts';
import type { LatLon } from '../../src/domain/geographic.ts';
import { seededRandom } from '../../test-support/seeded-random.ts';

export { seededRandom };

/** A point and why it is in the set, so that a failure names the case it broke. */
export interface Sample extends LatLon {
  why: string;
}

const bits = new DataView(new ArrayBuffer(8));

/** The adjacent double towards +∞ (step 1) or −∞ (step −1): the tiniest possible epsilon. */
export function nextDouble(x: number, step: 1 | -1): number {
  if (x === 0) return step * Number.MIN_VALUE;
  bits.setFloat64(0, x);
  const away = x > 0 === step > 0;
  bits.setBigInt64(0, bits.getBigInt64(0) + (away ? 1n : -1n));
  return bits.getFloat64(0);
}

/**
 * The number written so that the tools read back the same double: GeographicLib does not read
 * exponents in angles (`1e-12` would be taken as `1e` minus 12), so these are spelled out.
 */
export function plain(x: number): string {
  const text = String(x);
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  const [, sign = '', lead = '', fraction = '', exponentText = '0'] = match;
  const exponent = Number(exponentText);
  const digits = lead + fraction;
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  if (digits.length <= exponent + 1) return sign + digits.padEnd(exponent + 1, '0');
  return `${sign}${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
}

/** A latitude/longitude line as the GeographicLib tools read it. */
export function latLonLine({ lat, lon }: LatLon): string {
  return `${plain(lat)} ${plain(lon)}`;
}

/** x, x ± one ulp, ± 1e-12 and ± 1e-9: the sides of a boundary at `x`. */
export function around(x: number): number[] {
  return [x - 1e-9, x - 1e-12, nextDouble(x, -1), x, nextDouble(x, 1), x + 1e-12, x + 1e-9];
}

const inRange = ({ lat, lon }: LatLon) => Math.abs(lat) <= 90 && Math.abs(lon) <= 180;

function grid(why: string, lats: readonly number[], lons: readonly number[]): Sample[] {
  return lats.flatMap((lat) => lons.map((lon) => ({ lat, lon, why })));
}

/** `count` points spread evenly over the sphere's area, the same ones for the same seed. */
export function randomPoints(count: number, seed: number): Sample[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => ({
    lat: (Math.asin(2 * random() - 1) * 180) / Math.PI,
    lon: 360 * random() - 180,
    why: `random (seed ${seed})`,
  }));
}

const zoneEdges = Array.from({ length: 61 }, (_, k) => -180 + 6 * k);

/** MGRS latitude bands C to X: 8° each from 80°S, X (72°N to 84°N) 12°. */
const bandEdges = [...Array.from({ length: 20 }, (_, k) => -80 + 8 * k), 84];

/**
 * The meridians where sin or cos of the longitude is exactly 0 or ±1. There a UPS easting or
 * northing, or a UTM easting on a central meridian, is exactly a whole number of 100 km squares,
 * so the last bit decides the MGRS square; GeographicLib reduces degrees exactly to get it.
 */
const exactMeridians = [-180, -135, -90, -45, 0, 45, 90, 135, 180];

/** Every special place of the UTM/UPS/MGRS grids, each approached from both sides. */
export function edgePoints(): Sample[] {
  const someLons = [-180, -177, -93.5, -3, 0, 3, 9, 21, 33, 45, 117, 179.5, 180];
  const points = [
    ...grid(
      'pole',
      [...around(90), ...around(-90), 89.999999, -89.999999, 89.9, -89.9],
      [-180, -135, -90, -45, 0, 7.5, 45, 90, 135, 180],
    ),
    ...grid(
      'zone edge',
      [-81, -80.5, -80, -79.5, -45, -1e-9, 0, 1e-9, 30, 55.9, 83.5, 84, 84.5],
      zoneEdges.flatMap(around),
    ),
    ...grid('UTM/UPS switch at 84N', around(84), someLons),
    ...grid('UTM/UPS switch at 80S', around(-80), someLons),
    ...grid('MGRS band edge', bandEdges.flatMap(around), someLons),
    // From 80°S to about 81.45°S, sin(−180°) one ulp off 0 put the UPS easting one ulp below
    // 2,000,000 m, and the MGRS reference in the square to the west (issue 6).
    ...grid(
      'UPS on an exact meridian',
      [-80.5, -81, -81.45, -82, -85, -88, 84.5, 85, 87, 89],
      exactMeridians,
    ),
    ...grid(
      'Norway 32V edge',
      [...around(56), ...around(64), 60],
      [...around(3), ...around(6), ...around(9), ...around(12), 4.5],
    ),
    ...grid(
      'Svalbard 31X-37X edge',
      [...around(72), 78, 83.99],
      [...around(0), ...around(9), ...around(21), ...around(33), ...around(42), 15],
    ),
    ...grid(
      'antimeridian',
      [-85, -81, -80.5, -80, -60, -30, -1e-9, 0, 1e-9, 30, 60, 84, 84.5, 85],
      [...around(180), ...around(-180), 179.9999999, -179.9999999],
    ),
    ...grid('equator', [...around(0), 1e-15, -1e-15], someLons),
  ];
  return points.filter(inRange);
}

/** The edges plus a seeded spread: every global accuracy test runs over these. */
export function globePoints(): Sample[] {
  return [...edgePoints(), ...randomPoints(3000, 20240601)];
}

/** Every `step`-th point: the same sample each run, edges and spread alike. */
export function everyNth<T>(items: readonly T[], step: number): T[] {
  return items.filter((_, index) => index % step === 0);
}

/**
 * Metres between two points along the WGS84 ellipsoid: an error in degrees means little near
 * a pole, where any longitude is a few nanometres from any other. (The geodesic this uses is
 * itself checked against GeodSolve in geodesics.test.ts.)
 */
export function metresApart(a: LatLon, b: LatLon): number {
  return inverse(a, b).distance;
}
