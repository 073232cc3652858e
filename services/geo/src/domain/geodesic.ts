// A CommonJS package: its named exports exist only on the default import in ESM.
import geodesicLibrary from 'geographiclib-geodesic';
import type { LatLon } from './geographic.ts';

const wgs84 = geodesicLibrary.Geodesic.WGS84;

export interface InverseSolution {
  /** Metres along the shortest path on the WGS84 ellipsoid. */
  distance: number;
  /** Degrees clockwise from north, at the first point and at the second. */
  azimuth1: number;
  azimuth2: number;
}

export interface DirectSolution {
  lat2: number;
  lon2: number;
  azimuth2: number;
}

/** The shortest path between two points (Karney 2013), antipodal points included. */
export function inverse(from: LatLon, to: LatLon): InverseSolution {
  const { s12, azi1, azi2 } = wgs84.Inverse(from.lat, from.lon, to.lat, to.lon);
  return {
    distance: s12 ?? Number.NaN,
    azimuth1: azi1 ?? Number.NaN,
    azimuth2: azi2 ?? Number.NaN,
  };
}

/** Where `distance` metres along `azimuth1` from `from` lead. */
export function direct(from: LatLon, azimuth1: number, distance: number): DirectSolution {
  const { lat2, lon2, azi2 } = wgs84.Direct(from.lat, from.lon, azimuth1, distance);
  return { lat2: lat2 ?? Number.NaN, lon2: lon2 ?? Number.NaN, azimuth2: azi2 ?? Number.NaN };
}
