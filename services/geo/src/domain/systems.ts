import { crsCatalog } from './crs-catalog.ts';
import { PositionError } from './errors.ts';
import { formatDms, type LatLon, parseDms } from './geographic.ts';
import {
  fromEcef,
  fromProjected,
  fromWebMercator,
  projectedIds,
  toEcef,
  toProjected,
  toWebMercator,
  type XY,
  type XYZ,
} from './projected.ts';
import { fromMgrs, fromUtmUps, toMgrs, toUtmUps, type UtmUps } from './utmups.ts';

/** The systems every answer includes unless the caller asks for others. */
export const builtInIds = ['latlon', 'dms', 'utm', 'mgrs', 'webmercator', 'ecef'] as const;
export type BuiltInId = (typeof builtInIds)[number];
export type SystemId = BuiltInId | string;

export const systemIds: readonly string[] = [...builtInIds, ...projectedIds];

// EPSG codes of the built-in systems, accepted wherever a system id is.
const aliases: Record<string, BuiltInId> = {
  'EPSG:4326': 'latlon',
  'EPSG:3857': 'webmercator',
  'EPSG:4978': 'ecef',
};

/** `epsg:27700` → `EPSG:27700`, `EPSG:3857` → `webmercator`; unknown ids come back as given. */
export function normalizeSystemId(id: string): string {
  const trimmed = id.trim();
  const upper = trimmed.toUpperCase();
  if (upper.startsWith('EPSG:')) return aliases[upper] ?? upper;
  return trimmed.toLowerCase();
}

/** A position as read: its system and that system's fields. */
export type Position =
  | { from: 'latlon'; lat: number; lon: number }
  | { from: 'dms'; position: string }
  | ({ from: 'utm' } & UtmUps)
  | { from: 'mgrs'; mgrs: string }
  | ({ from: 'webmercator' } & XY)
  | ({ from: 'ecef' } & XYZ)
  | ({ from: `EPSG:${string}` } & XY);

export interface OutputOptions {
  /** MGRS digits per axis: 5 is 1 m, 0 the 100 km square, 11 is 1 µm. */
  mgrsPrecision: number;
  /** Decimals of the arc-seconds in DMS. */
  dmsPrecision: number;
  /** Write UTM/UPS in this zone (0 is UPS) instead of the standard one. */
  utmZone?: number | undefined;
}

export type SystemValue = LatLon | UtmUps | XY | XYZ | string | null;
export type Conversion = Record<string, SystemValue>;

export function toLatLon(position: Position): LatLon {
  switch (position.from) {
    case 'latlon':
      return { lat: position.lat, lon: position.lon };
    case 'dms':
      return parseDms(position.position);
    case 'utm':
      return fromUtmUps(position);
    case 'mgrs':
      return fromMgrs(position.mgrs);
    case 'webmercator':
      return fromWebMercator(position);
    case 'ecef':
      return fromEcef(position);
    default:
      return fromProjected(position.from, position);
  }
}

function write(id: SystemId, position: LatLon, options: OutputOptions): SystemValue {
  switch (id) {
    case 'latlon':
      return position;
    case 'dms':
      return formatDms(position, options.dmsPrecision);
    case 'utm':
      return toUtmUps(position, options.utmZone);
    case 'mgrs':
      return toMgrs(position, options.mgrsPrecision);
    case 'webmercator':
      return toWebMercator(position);
    case 'ecef':
      return toEcef(position);
    default:
      return toProjected(id, position);
  }
}

/** Writes `position` in each of `targets`; a system that cannot show it answers null. */
export function fromLatLon(
  position: LatLon,
  targets: readonly SystemId[],
  options: OutputOptions,
): Conversion {
  const conversion: Conversion = {};
  for (const id of targets) conversion[id] = write(id, position, options);
  return conversion;
}

/** Reads a position in one system and writes it in each of `targets`. */
export function convert(
  position: Position,
  targets: readonly SystemId[],
  options: OutputOptions,
): Conversion {
  const latLon = toLatLon(position);
  if (!Number.isFinite(latLon.lat) || !Number.isFinite(latLon.lon)) {
    throw new PositionError(
      'from',
      'the position does not resolve to a point on Earth',
      'out_of_range',
    );
  }
  return fromLatLon(latLon, targets, options);
}

export interface SystemInfo {
  id: string;
  name: string;
  kind: 'geographic' | 'grid' | 'projected' | 'geocentric';
  /** The input fields besides `from`. */
  fields: readonly string[];
  proj4?: string;
  area?: readonly [number, number, number, number];
  datumShift?: string;
}

/** What GET /crs lists. */
export const systems: readonly SystemInfo[] = [
  {
    id: 'latlon',
    name: 'WGS 84 latitude/longitude, decimal degrees (EPSG:4326)',
    kind: 'geographic',
    fields: ['lat', 'lon'],
  },
  {
    id: 'dms',
    name: 'WGS 84 latitude/longitude, degrees minutes seconds',
    kind: 'geographic',
    fields: ['position'],
  },
  {
    id: 'utm',
    name: 'UTM, or UPS in zone 0 (WGS 84)',
    kind: 'grid',
    fields: ['zone', 'hemisphere', 'easting', 'northing'],
  },
  { id: 'mgrs', name: 'Military Grid Reference System (WGS 84)', kind: 'grid', fields: ['mgrs'] },
  {
    id: 'webmercator',
    name: 'WGS 84 / Pseudo-Mercator (EPSG:3857)',
    kind: 'projected',
    fields: ['x', 'y'],
  },
  {
    id: 'ecef',
    name: 'WGS 84 Earth-centred, Earth-fixed (EPSG:4978)',
    kind: 'geocentric',
    fields: ['x', 'y', 'z'],
  },
  ...crsCatalog.map(
    (crs): SystemInfo => ({
      id: crs.id,
      name: crs.name,
      kind: 'projected',
      fields: ['x', 'y'],
      proj4: crs.proj4,
      area: crs.area,
      datumShift: crs.datumShift,
    }),
  ),
];
