import proj4 from 'proj4';
import { type CrsDefinition, crsCatalog } from './crs-catalog.ts';
import { PositionError } from './errors.ts';
import type { LatLon } from './geographic.ts';

export interface XY {
  x: number;
  y: number;
}

export interface XYZ extends XY {
  z: number;
}

const WGS84 = '+proj=longlat +datum=WGS84 +no_defs';

/** The latitude where Web Mercator's square world ends: atan(sinh(π)). */
export const WEB_MERCATOR_MAX_LAT = (Math.atan(Math.sinh(Math.PI)) * 180) / Math.PI;

const webMercator = proj4(WGS84, 'EPSG:3857');
const ecef = proj4(WGS84, '+proj=geocent +datum=WGS84 +units=m +no_defs');

/** Web Mercator (EPSG:3857), or null beyond ±85.0511°, where it is undefined. */
export function toWebMercator({ lat, lon }: LatLon): XY | null {
  if (Math.abs(lat) > WEB_MERCATOR_MAX_LAT) return null;
  const [x = Number.NaN, y = Number.NaN] = webMercator.forward([lon, lat]);
  return { x, y };
}

export function fromWebMercator({ x, y }: XY): LatLon {
  const [lon = Number.NaN, lat = Number.NaN] = webMercator.inverse([x, y]);
  if (!Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lon) > 180 + 1e-9) {
    throw new PositionError('x', 'not a point on the Web Mercator plane', 'out_of_range');
  }
  return { lat, lon };
}

/** Earth-centred, Earth-fixed (EPSG:4978), for a point on the ellipsoid. */
export function toEcef({ lat, lon }: LatLon): XYZ {
  const [x = Number.NaN, y = Number.NaN, z = Number.NaN] = ecef.forward([lon, lat, 0]);
  return { x, y, z };
}

/** The geodetic position of an ECEF point; its height above the ellipsoid is dropped. */
export function fromEcef({ x, y, z }: XYZ): LatLon {
  if (x === 0 && y === 0 && z === 0) {
    throw new PositionError('x', 'the centre of the Earth has no latitude', 'out_of_range');
  }
  const [lon = Number.NaN, lat = Number.NaN] = ecef.inverse([x, y, z]);
  return { lat, lon };
}

interface Projected {
  definition: CrsDefinition;
  converter: proj4.Converter;
}

const projected = new Map<string, Projected>(
  crsCatalog.map((definition) => [
    definition.id,
    { definition, converter: proj4(WGS84, definition.proj4) },
  ]),
);

export const projectedIds: readonly string[] = crsCatalog.map((definition) => definition.id);

function inArea({ lat, lon }: LatLon, { area }: CrsDefinition): boolean {
  const [west, south, east, north] = area;
  return lon >= west && lon <= east && lat >= south && lat <= north;
}

function lookup(id: string): Projected {
  const found = projected.get(id);
  if (!found) throw new PositionError('from', `unknown coordinate system ${id}`);
  return found;
}

/** Coordinates in a bundled projected system, or null outside its area of use. */
export function toProjected(id: string, position: LatLon): XY | null {
  const { definition, converter } = lookup(id);
  if (!inArea(position, definition)) return null;
  const [x = Number.NaN, y = Number.NaN] = converter.forward([position.lon, position.lat]);
  return Number.isFinite(x) && Number.isFinite(y) ? { x, y } : null;
}

export function fromProjected(id: string, { x, y }: XY): LatLon {
  const { definition, converter } = lookup(id);
  const [lon = Number.NaN, lat = Number.NaN] = converter.inverse([x, y]);
  const position = { lat, lon };
  if (!Number.isFinite(lat) || !Number.isFinite(lon) || !inArea(position, definition)) {
    throw new PositionError(
      'x',
      `outside the area of use of ${id} (${definition.name})`,
      'out_of_range',
    );
  }
  return position;
}
