import geographiclib from 'geographiclib-mgrs';
import { PositionError } from './errors.ts';
import type { LatLon } from './geographic.ts';
import { polarStereographic, utmUpsForward } from './utmups-forward.ts';

const { UTMUPS, MGRS } = geographiclib;

/** UTM, or UPS when `zone` is 0 (GeographicLib's convention), in metres. */
export interface UtmUps {
  zone: number;
  hemisphere: 'N' | 'S';
  easting: number;
  northing: number;
}

/** Zone 0 asks for UPS; 1–60 for that UTM zone. */
export const UPS_ZONE = 0;

function failAs<T>(field: string, kind: 'invalid' | 'out_of_range', run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof PositionError) throw error;
    throw new PositionError(field, (error as Error).message, kind);
  }
}

/**
 * The port reads a requested zone of 0 as "standard" (`setzone || STANDARD`), so UPS on
 * request is done here, as GeographicLib's UTMUPS::Forward does it.
 */
function forcedUps(lat: number, lon: number): UtmUps {
  const northp = lat >= 0;
  if (Math.abs(lat) < 70) {
    throw new Error(`Latitude ${lat}d more than 20d from ${northp ? 'N' : 'S'} pole`);
  }
  const grid = polarStereographic(northp, lat, lon);
  if (!UTMUPS.checkCoords(false, northp, grid.easting, grid.northing, false, false)) {
    throw new Error(`Latitude ${lat}, longitude ${lon} out of legal range for UPS`);
  }
  return grid;
}

/**
 * UTM or UPS by the standard rules (UPS beyond 84°N and 80°S, the Norway and Svalbard
 * exceptions), or in the zone asked for, which must still be within GeographicLib's limits.
 */
export function toUtmUps({ lat, lon }: LatLon, zone?: number): UtmUps {
  return failAs('utmZone', 'out_of_range', (): UtmUps => {
    if (zone === UPS_ZONE) return forcedUps(lat, lon);
    return utmUpsForward(lat, lon, zone ?? UTMUPS.STANDARD);
  });
}

export function fromUtmUps({ zone, hemisphere, easting, northing }: UtmUps): LatLon {
  const northp = hemisphere === 'N';
  try {
    // reverse() alone projects any number, however far outside the zone it lies.
    UTMUPS.checkCoords(zone !== UPS_ZONE, northp, easting, northing, false, true);
  } catch (error) {
    const detail = (error as Error).message;
    throw new PositionError(
      detail.startsWith('Northing') ? 'northing' : 'easting',
      detail,
      'out_of_range',
    );
  }
  const { lat, lon } = UTMUPS.reverse(zone, northp, easting, northing);
  return { lat, lon };
}

/** MGRS with `precision` digits per axis: 5 is 1 m, 0 the 100 km square, 11 is 1 µm. */
export function toMgrs({ lat, lon }: LatLon, precision: number): string {
  const { zone, hemisphere, easting, northing } = utmUpsForward(lat, lon, UTMUPS.STANDARD);
  return MGRS.forwardKnowLattitude(zone, hemisphere === 'N', easting, northing, lat, precision);
}

/** The centre of the MGRS square, as GeoConvert reads it. */
export function fromMgrs(reference: string): LatLon {
  return failAs('mgrs', 'invalid', () => {
    const grid = MGRS.reverse(reference.replace(/\s+/g, ''), true);
    const { lat, lon } = UTMUPS.reverse(grid.zone, grid.northp, grid.x, grid.y);
    return { lat, lon };
  });
}
