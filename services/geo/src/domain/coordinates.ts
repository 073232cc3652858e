import { Invalid } from '@quadrants/service-kit';
import geographiclib from 'geographiclib-mgrs';
import proj4 from 'proj4';

const { UTMUPS, MGRS } = geographiclib;

/** WGS84 geographic coordinates in decimal degrees. */
export interface LatLon {
  lat: number;
  lon: number;
}

/** UTM, or UPS when `zone` is 0 (GeographicLib's convention), in metres. */
export interface UtmUps {
  zone: number;
  hemisphere: 'N' | 'S';
  easting: number;
  northing: number;
}

/** Web Mercator (EPSG:3857) in metres. */
export interface WebMercator {
  x: number;
  y: number;
}

/** A position in any of the systems this service reads. */
export type Position =
  | ({ from: 'latlon' } & LatLon)
  | ({ from: 'utm' } & UtmUps)
  | { from: 'mgrs'; mgrs: string }
  | ({ from: 'webmercator' } & WebMercator);

/** One position in every system this service writes. */
export interface Conversion {
  latlon: LatLon;
  utm: UtmUps;
  mgrs: string;
  /** null where Web Mercator is undefined: beyond ±85.0511° (it cannot show the poles). */
  webMercator: WebMercator | null;
}

export interface ConvertOptions {
  /** MGRS digits per axis: 5 is 1 m, 0 is the 100 km square. */
  mgrsPrecision: number;
}

/** The latitude where Web Mercator's square world ends: atan(sinh(π)). */
export const WEB_MERCATOR_MAX_LAT = (Math.atan(Math.sinh(Math.PI)) * 180) / Math.PI;

const toWebMercator = proj4('EPSG:4326', 'EPSG:3857');

/** GeographicLib reports domain errors as plain Errors; name the field they concern. */
function rethrowAs(field: string, run: () => LatLon): LatLon {
  try {
    return run();
  } catch (error) {
    if (error instanceof Invalid) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new Invalid([{ field, detail }], { cause: error });
  }
}

export function toLatLon(position: Position): LatLon {
  switch (position.from) {
    case 'latlon':
      return { lat: position.lat, lon: position.lon };
    case 'utm':
      return rethrowAs('easting/northing', () => {
        const northp = position.hemisphere === 'N';
        const { zone, easting, northing } = position;
        // reverse() alone projects any number, however far outside the zone it lies.
        UTMUPS.checkCoords(zone !== UTMUPS.UPS, northp, easting, northing, false, true);
        return UTMUPS.reverse(zone, northp, easting, northing);
      });
    case 'mgrs':
      return rethrowAs('mgrs', () => {
        // GeographicLib reads the centre of the square, as GeoConvert does.
        const grid = MGRS.reverse(position.mgrs.replace(/\s+/g, ''), true);
        return UTMUPS.reverse(grid.zone, grid.northp, grid.x, grid.y);
      });
    case 'webmercator': {
      const [lon, lat] = toWebMercator.inverse([position.x, position.y]);
      if (lon === undefined || lat === undefined || !Number.isFinite(lat + lon)) {
        throw new Invalid([{ field: 'x/y', detail: 'not a point on the Web Mercator plane' }]);
      }
      return { lat, lon };
    }
  }
}

export function fromLatLon({ lat, lon }: LatLon, options: ConvertOptions): Conversion {
  const grid = UTMUPS.forward(lat, lon, UTMUPS.STANDARD);
  const hemisphere = grid.northp ? 'N' : 'S';
  const inWebMercator = Math.abs(lat) <= WEB_MERCATOR_MAX_LAT;
  const [x, y] = inWebMercator ? toWebMercator.forward([lon, lat]) : [];
  return {
    latlon: { lat, lon },
    utm: { zone: grid.zone, hemisphere, easting: grid.x, northing: grid.y },
    mgrs: MGRS.forwardKnowLattitude(
      grid.zone,
      grid.northp,
      grid.x,
      grid.y,
      lat,
      options.mgrsPrecision,
    ),
    webMercator: x === undefined || y === undefined ? null : { x, y },
  };
}

/** Reads a position in any system and writes it in all of them. */
export function convert(position: Position, options: ConvertOptions): Conversion {
  return fromLatLon(toLatLon(position), options);
}
