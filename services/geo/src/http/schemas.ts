import { z } from 'zod';
import { systemIds } from '../domain/crs-catalog.ts';
import { projectedIds } from '../domain/projected.ts';

/**
 * How a numeric field arrives: a JSON number in a body, a string in a query. (zod 4's number
 * already refuses NaN and ±Infinity, so "1e999" in a query is refused too.)
 */
type NumberField = (inner: z.ZodNumber) => z.ZodType<number, unknown>;

// A query value is a number only if it reads as one in full ("", "1e", "0x10", "∞" are not).
const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

const fromJson: NumberField = (inner) => inner;
const fromQuery: NumberField = (inner) =>
  z.string().regex(NUMERIC, 'expected a number').transform(Number).pipe(inner);

const latitude = () => z.number().min(-90).max(90);
const longitude = () => z.number().min(-180).max(180);
const metres = (what: string) => z.number().describe(`${what}, metres.`);

/**
 * Each schema is built twice: for JSON bodies and for query strings. The OpenAPI document is
 * generated from the JSON form, so documentation and validation cannot disagree.
 */
function schemas(num: NumberField) {
  const position = z.discriminatedUnion('from', [
    z.strictObject({
      from: z.literal('latlon'),
      lat: num(latitude().describe('Latitude, decimal degrees, WGS84.')),
      lon: num(longitude().describe('Longitude, decimal degrees, WGS84.')),
    }),
    z.strictObject({
      from: z.literal('dms'),
      position: z
        .string()
        .min(1)
        .max(100)
        .describe(`Latitude and longitude in degrees, minutes, seconds: 40°26'46"N 79°58'56"W.`),
    }),
    z.strictObject({
      from: z.literal('utm'),
      zone: num(z.number().int().min(0).max(60).describe('UTM zone 1–60, or 0 for UPS.')),
      hemisphere: z.enum(['N', 'S']).describe('N or S.'),
      easting: num(metres('Easting')),
      northing: num(metres('Northing')),
    }),
    z.strictObject({
      from: z.literal('mgrs'),
      mgrs: z.string().min(2).max(64).describe('MGRS reference, e.g. 33UXP0500 (spaces ignored).'),
    }),
    z.strictObject({
      from: z.literal('webmercator'),
      x: num(metres('EPSG:3857 x')),
      y: num(metres('EPSG:3857 y')),
    }),
    z.strictObject({
      from: z.literal('ecef'),
      x: num(metres('ECEF x')),
      y: num(metres('ECEF y')),
      z: num(metres('ECEF z')),
    }),
    z.strictObject({
      from: z.enum(projectedIds as [`EPSG:${string}`, ...`EPSG:${string}`[]]),
      x: num(metres('Easting (x)')),
      y: num(metres('Northing (y)')),
    }),
  ]);

  const options = {
    mgrsPrecision: num(
      z
        .number()
        .int()
        .min(0)
        .max(11)
        .describe('MGRS digits per axis: 5 is 1 m, 0 the 100 km square.'),
    ).default(5),
    dmsPrecision: num(
      z.number().int().min(0).max(9).describe('Decimals of the arc-seconds in DMS answers.'),
    ).default(1),
    utmZone: num(
      z
        .number()
        .int()
        .min(0)
        .max(60)
        .describe('Write UTM in this zone (0: UPS) instead of the standard one.'),
    ).optional(),
  };

  const geodesicInverse = z.strictObject({
    lat1: num(latitude().describe('First point latitude, degrees.')),
    lon1: num(longitude().describe('First point longitude, degrees.')),
    lat2: num(latitude().describe('Second point latitude, degrees.')),
    lon2: num(longitude().describe('Second point longitude, degrees.')),
  });

  const geodesicDirect = z.strictObject({
    lat1: num(latitude().describe('Start latitude, degrees.')),
    lon1: num(longitude().describe('Start longitude, degrees.')),
    azimuth1: num(
      z.number().min(-360).max(360).describe('Start azimuth, degrees clockwise from north.'),
    ),
    distance: num(
      z.number().min(-1e9).max(1e9).describe('Metres along the geodesic (negative: backwards).'),
    ),
  });

  return { position, options, geodesicInverse, geodesicDirect };
}

const json = schemas(fromJson);
const query = schemas(fromQuery);

const systemList = z
  .array(z.enum(systemIds as [string, ...string[]]))
  .min(1)
  .max(systemIds.length)
  .describe('Systems to answer in; by default latlon, dms, utm, mgrs, webmercator and ecef.');

export const Position = json.position;
export type PositionInput = z.output<typeof Position>;

/** POST /convert: one position with its output options. */
export const ConvertBody = z.strictObject({
  position: json.position,
  to: systemList.optional(),
  ...json.options,
});

/** The output options of GET /convert and POST /convert/stream, from the query string. */
export const OptionsQuery = z.strictObject({
  to: z
    .string()
    .transform((list) => list.split(','))
    .pipe(systemList)
    .optional(),
  ...query.options,
});
export const PositionQuery = query.position;

export type Options = z.output<typeof OptionsQuery>;
/** The names of the output options, which GET /convert takes beside the position's fields. */
export const optionNames: readonly string[] = Object.keys(OptionsQuery.shape);

export const BatchBody = z.strictObject({
  points: z.array(z.unknown()).describe('Positions, each as `position` in POST /convert.'),
  to: systemList.optional(),
  ...json.options,
});

export const GeodesicInverseBody = json.geodesicInverse;
export const GeodesicInverseQuery = query.geodesicInverse;
export const GeodesicDirectBody = json.geodesicDirect;
export const GeodesicDirectQuery = query.geodesicDirect;

const latLonOut = z.object({ lat: z.number(), lon: z.number() });
const xyOut = z.object({ x: z.number(), y: z.number() });

export const ConversionOut = z
  .object({
    latlon: latLonOut.optional(),
    dms: z.string().optional(),
    utm: z
      .object({
        zone: z.number().int().min(0).max(60).describe('UTM zone, or 0 for UPS.'),
        hemisphere: z.enum(['N', 'S']),
        easting: z.number(),
        northing: z.number(),
      })
      .optional(),
    mgrs: z.string().optional(),
    webmercator: xyOut.nullable().optional().describe('null beyond ±85.0511° latitude.'),
    ecef: z.object({ x: z.number(), y: z.number(), z: z.number() }).optional(),
  })
  .catchall(xyOut.nullable().describe('A bundled EPSG system; null outside its area of use.'))
  .describe('The position in each system asked for.');

export const ItemErrorOut = z.strictObject({
  error: z.object({
    status: z.number().int(),
    code: z.string(),
    detail: z.string(),
    errors: z.array(z.object({ field: z.string(), detail: z.string() })),
  }),
  line: z.number().int().optional().describe('The input line, in a stream.'),
});

export const BatchOut = z.object({
  results: z.array(z.union([ConversionOut, ItemErrorOut])).describe('One per point, in order.'),
});

export const GeodesicInverseOut = z.object({
  distance: z.number().describe('Metres along the shortest path on the WGS84 ellipsoid.'),
  azimuth1: z.number().describe('Azimuth at the first point, degrees clockwise from north.'),
  azimuth2: z.number().describe('Azimuth at the second point, degrees clockwise from north.'),
});

export const GeodesicDirectOut = z.object({
  lat2: z.number(),
  lon2: z.number(),
  azimuth2: z.number().describe('Azimuth at the end point, degrees clockwise from north.'),
});

export const CrsListOut = z.object({
  systems: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      kind: z.enum(['geographic', 'grid', 'projected', 'geocentric']),
      fields: z.array(z.string()),
      proj4: z.string().optional(),
      area: z
        .array(z.number())
        .length(4)
        .optional()
        .describe('[west, south, east, north], degrees.'),
      datumShift: z.string().optional(),
    }),
  ),
});
