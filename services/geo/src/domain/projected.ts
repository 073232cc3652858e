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

/** Half the side of Web Mercator's square world, in metres: π times the WGS84 radius. */
export const WEB_MERCATOR_HALF_WORLD = Math.PI * 6_378_137;

export function fromWebMercator({ x, y }: XY): LatLon {
  for (const [field, value] of [
    ['x', x],
    ['y', y],
  ] as const) {
    if (Math.abs(value) > WEB_MERCATOR_HALF_WORLD * (1 + 1e-12)) {
      const detail = `not on the Web Mercator plane (|${field}| ≤ ${WEB_MERCATOR_HALF_WORLD} m)`;
      throw new PositionError(field, detail, 'out_of_range');
    }
  }
  const [lon = Number.NaN, lat = Number.NaN] = webMercator.inverse([x, y]);
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
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) {
    // Too far out to compute: name the coordinate that took it there.
    const field = (['x', 'y', 'z'] as const).reduce((a, b) =>
      Math.abs({ x, y, z }[b]) > Math.abs({ x, y, z }[a]) ? b : a,
    );
    throw new PositionError(field, 'too far from the Earth to have a position', 'out_of_range');
  }
  return { lat, lon };
}

interface Projected {
  definition: CrsDefinition;
  converter: proj4.Converter;
  /** The area of use projected: [xMin, yMin, xMax, yMax], to say which coordinate is off. */
  bounds: readonly [number, number, number, number];
}

/** Projects the outline and centre of the area of use and keeps their extremes. */
function projectedBounds(converter: proj4.Converter, { area }: CrsDefinition) {
  const [west, south, east, north] = area;
  const steps = 64;
  const outline: [number, number][] = [[(west + east) / 2, (south + north) / 2]];
  for (let i = 0; i <= steps; i++) {
    const lon = west + ((east - west) * i) / steps;
    const lat = south + ((north - south) * i) / steps;
    outline.push([lon, south], [lon, north], [west, lat], [east, lat]);
  }
  const points = outline
    .map((point) => converter.forward(point))
    .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = points.map(([x = 0]) => x);
  const ys = points.map(([, y = 0]) => y);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)] as const;
}

const projected = new Map<string, Projected>(
  crsCatalog.map((definition) => {
    const converter = proj4(WGS84, definition.proj4);
    return [
      definition.id,
      { definition, converter, bounds: projectedBounds(converter, definition) },
    ];
  }),
);

export const projectedIds: readonly string[] = crsCatalog.map((definition) => definition.id);

// Points on the edge of an area must read back in: allow for the inverse (~1 cm).
const AREA_TOLERANCE_DEGREES = 1e-7;

function inArea({ lat, lon }: LatLon, { area }: CrsDefinition, tolerance = 0): boolean {
  const [west, south, east, north] = area;
  const aroundTheWorld = east - west >= 360;
  return (
    (aroundTheWorld || (lon >= west - tolerance && lon <= east + tolerance)) &&
    lat >= south - tolerance &&
    lat <= north + tolerance
  );
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
  const { definition, converter, bounds } = lookup(id);
  const [lon = Number.NaN, lat = Number.NaN] = converter.inverse([x, y]);
  const position = { lat, lon };
  const finite = Number.isFinite(lat) && Number.isFinite(lon);
  if (finite && inArea(position, definition, AREA_TOLERANCE_DEGREES)) return position;
  // Name the coordinate that lies outside the projected area; x when both or neither do.
  const [xMin, yMin, xMax, yMax] = bounds;
  const field = x >= xMin && x <= xMax && (y < yMin || y > yMax) ? 'y' : 'x';
  const detail = `outside the area of use of ${id} (${definition.name})`;
  throw new PositionError(field, detail, 'out_of_range');
}
