import { z } from 'zod';

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

/**
 * One definition of the input, built twice: for POST bodies and for GET query strings. The
 * OpenAPI document is generated from the body form, so documentation and validation agree.
 */
function positionSchema(num: NumberField) {
  const precision = num(
    z
      .number()
      .int()
      .min(0)
      .max(5)
      .describe('MGRS digits per axis in the answer: 5 is 1 m, 0 is the 100 km square.'),
  ).default(5);
  return z.discriminatedUnion('from', [
    z.strictObject({
      from: z.literal('latlon'),
      lat: num(z.number().min(-90).max(90).describe('Latitude, decimal degrees, WGS84.')),
      lon: num(z.number().min(-180).max(180).describe('Longitude, decimal degrees, WGS84.')),
      precision,
    }),
    z.strictObject({
      from: z.literal('utm'),
      zone: num(z.number().int().min(0).max(60).describe('UTM zone 1–60, or 0 for UPS.')),
      hemisphere: z.enum(['N', 'S']).describe('N or S.'),
      easting: num(z.number().describe('Easting, metres.')),
      northing: num(z.number().describe('Northing, metres.')),
      precision,
    }),
    z.strictObject({
      from: z.literal('mgrs'),
      mgrs: z
        .string()
        .min(2)
        .max(64)
        .describe('MGRS reference, e.g. 33UXP0500 (spaces are ignored).'),
      precision,
    }),
    z.strictObject({
      from: z.literal('webmercator'),
      x: num(z.number().describe('Web Mercator (EPSG:3857) x, metres.')),
      y: num(z.number().describe('Web Mercator (EPSG:3857) y, metres.')),
      precision,
    }),
  ]);
}

export const PositionBody = positionSchema(fromJson);
export const PositionQuery = positionSchema(fromQuery);
export type PositionInput = z.output<typeof PositionBody>;

export const ConversionOut = z.object({
  latlon: z.object({ lat: z.number(), lon: z.number() }),
  utm: z.object({
    zone: z.number().int().min(0).max(60).describe('UTM zone, or 0 for UPS.'),
    hemisphere: z.enum(['N', 'S']),
    easting: z.number(),
    northing: z.number(),
  }),
  mgrs: z.string(),
  webMercator: z
    .object({ x: z.number(), y: z.number() })
    .nullable()
    .describe('null beyond ±85.0511° latitude, where Web Mercator is undefined.'),
});
