// The points every geo throughput measure converts: seeded, so each run, and each part of a
// run, converts the same ones.
import type { LatLon } from '@quadrants/geo/domain/geographic';
// geo's seeded generator, the one its tests use too.
import { seededRandom } from '@quadrants/geo/testing';

const SEED = 0x9e0_2026;
/** The UTM band: beyond it GeographicLib switches to UPS, which is other work. */
const SOUTH = -80;
const NORTH = 84;
const RAD = Math.PI / 180;

/**
 * Points spread evenly over the Earth's surface between 80°S and 84°N (uniform in sin(lat),
 * so the high latitudes are not over-sampled): every UTM zone, both hemispheres, and the
 * Norway and Svalbard exceptions in proportion to their area.
 */
export function pointSource(): () => LatLon {
  const next = seededRandom(SEED);
  const low = Math.sin(SOUTH * RAD);
  const span = Math.sin(NORTH * RAD) - low;
  return () => {
    const lat = Math.asin(low + next() * span) / RAD;
    const lon = next() * 360 - 180;
    return { lat, lon };
  };
}

/** The first `count` points, as two columns: what the in-process loops read. */
export function pointColumns(count: number): { lat: Float64Array; lon: Float64Array } {
  const lat = new Float64Array(count);
  const lon = new Float64Array(count);
  const next = pointSource();
  for (let i = 0; i < count; i++) {
    const point = next();
    lat[i] = point.lat;
    lon[i] = point.lon;
  }
  return { lat, lon };
}

/** A stream or batch line: the service's JSON form of a latlon position. */
export const latlonJson = ({ lat, lon }: LatLon): string =>
  `{"from":"latlon","lat":${lat},"lon":${lon}}`;
