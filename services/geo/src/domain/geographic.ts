// A CommonJS package: its named exports exist only on the default import in ESM.
import DMS from 'geographiclib-dms';
import { PositionError } from './errors.ts';

/** WGS84 geographic coordinates in decimal degrees. */
export interface LatLon {
  lat: number;
  lon: number;
}

// Unicode minus and dashes that people paste for a negative sign.
const MINUS = /[\u2212\u2012\u2013\u2014\uFE63\uFF0D]/g;
// A hemisphere letter ends a coordinate: it is followed by a space, a comma or the end.
const HEMISPHERE = /[NSEW](?=[\s,]|$)/i;

/** "40 26 46 N" → "40d26'46"N": GeographicLib reads separators, not bare spaces. */
function withSeparators(part: string): string {
  const match =
    /^([+-]?\d+(?:\.\d*)?)(?:\s+(\d+(?:\.\d*)?))?(?:\s+(\d+(?:\.\d*)?))?\s*([NSEW])?$/i.exec(part);
  if (!match) return part;
  const [, d, m, s, hemisphere = ''] = match;
  return `${d}d${m === undefined ? '' : `${m}'`}${s === undefined ? '' : `${s}"`}${hemisphere}`;
}

/** Splits "lat lon" written in any of the usual ways into its two halves. */
function splitPair(text: string): [string, string] {
  if (text.includes(',')) {
    const [a = '', b = '', ...rest] = text.split(',');
    if (rest.length === 0) return [a.trim(), b.trim()];
  }
  // After the first hemisphere letter: 40°26'46"N 79°58'56"W, 40 26 46 N 79 58 56 W.
  const index = text.search(HEMISPHERE);
  if (index >= 0) {
    const rest = text.slice(index + 1).trim();
    if (rest === '') throw new PositionError('position', 'expected a latitude and a longitude');
    return [text.slice(0, index + 1).trim(), rest];
  }
  // Otherwise half the numbers each: 40 26 46 -79 58 56.
  const tokens = text.split(' ');
  const half = tokens.length / 2;
  if (!Number.isInteger(half) || half === 0) {
    throw new PositionError('position', 'expected a latitude and a longitude');
  }
  return [tokens.slice(0, half).join(' '), tokens.slice(half).join(' ')];
}

/**
 * Reads a position written in degrees, minutes and seconds, with hemispheres or signs:
 * `40°26'46"N 79°58'56"W`, `40 26 46 N 79 58 56 W`, `40:26:46, -79:58:56`, `40.446 -79.982`.
 */
export function parseDms(text: string): LatLon {
  const normalized = text.replace(MINUS, '-').replace(/\s+/g, ' ').trim();
  if (normalized === '') throw new PositionError('position', 'empty');
  const [a, b] = splitPair(normalized);
  let decoded: LatLon;
  try {
    decoded = DMS.DecodeLatLon(withSeparators(a), withSeparators(b), false);
  } catch (error) {
    throw new PositionError('position', (error as Error).message);
  }
  // GeographicLib reads "nan" and "inf" as numbers; a position needs real ones.
  if (!Number.isFinite(decoded.lat) || !Number.isFinite(decoded.lon)) {
    throw new PositionError('position', 'expected finite angles');
  }
  return { lat: decoded.lat, lon: decoded.lon };
}

/** `40°26'45.6"N 079°58'55.2"W`, as GeoConvert -d writes it (with ° for its d). */
export function formatDms({ lat, lon }: LatLon, secondDecimals: number): string {
  return `${DMS.Encode(lat, DMS.SECOND, secondDecimals, DMS.LATITUDE)} ${DMS.Encode(
    lon,
    DMS.SECOND,
    secondDecimals,
    DMS.LONGITUDE,
  )}`;
}
