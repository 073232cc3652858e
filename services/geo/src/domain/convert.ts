import type { SystemId } from './crs-catalog.ts';
import { PositionError } from './errors.ts';
import { formatDms, type LatLon, parseDms } from './geographic.ts';
import {
  fromEcef,
  fromProjected,
  fromWebMercator,
  toEcef,
  toProjected,
  toWebMercator,
  type XY,
  type XYZ,
} from './projected.ts';
import { fromMgrs, fromUtmUps, toMgrs, toUtmUps, type UtmUps } from './utmups.ts';

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
