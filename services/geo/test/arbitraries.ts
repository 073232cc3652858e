/**
 * fast-check arbitraries for the property tests of every endpoint: valid positions and options,
 * and the hostile values that stand in for one field. Each hostile arbitrary only yields values
 * that its field must refuse, so a property can demand a 400 naming that field. Positions in
 * the systems of the running service are in positions.ts.
 */
import fc from 'fast-check';

/** How a field reads: the kind decides which values are valid and which must be refused. */
export type FieldKind =
  | { type: 'number'; min?: number; max?: number; integer?: boolean }
  | { type: 'string'; minLength: number; maxLength: number }
  | { type: 'enum'; values: readonly string[] };

export type Fields = Record<string, unknown>;

export const latitude: FieldKind = { type: 'number', min: -90, max: 90 };
export const longitude: FieldKind = { type: 'number', min: -180, max: 180 };
export const metres: FieldKind = { type: 'number' };

/** The input fields of each system, as GET /crs lists them, with what each accepts. */
export function fieldKinds(system: string): Record<string, FieldKind> {
  switch (system) {
    case 'latlon':
      return { lat: latitude, lon: longitude };
    case 'dms':
      return { position: { type: 'string', minLength: 1, maxLength: 100 } };
    case 'utm':
      return {
        zone: { type: 'number', min: 0, max: 60, integer: true },
        hemisphere: { type: 'enum', values: ['N', 'S'] },
        easting: metres,
        northing: metres,
      };
    case 'mgrs':
      return { mgrs: { type: 'string', minLength: 2, maxLength: 64 } };
    case 'ecef':
      return { x: metres, y: metres, z: metres };
    default:
      return { x: metres, y: metres };
  }
}

/** The output options of every conversion endpoint. */
export const optionKinds: Record<string, FieldKind> = {
  mgrsPrecision: { type: 'number', min: 0, max: 11, integer: true },
  dmsPrecision: { type: 'number', min: 0, max: 9, integer: true },
  utmZone: { type: 'number', min: 0, max: 60, integer: true },
};

export const geodesicInverseKinds: Record<string, FieldKind> = {
  lat1: latitude,
  lon1: longitude,
  lat2: latitude,
  lon2: longitude,
};

export const geodesicDirectKinds: Record<string, FieldKind> = {
  lat1: latitude,
  lon1: longitude,
  azimuth1: { type: 'number', min: -360, max: 360 },
  distance: { type: 'number', min: -1e9, max: 1e9 },
};

/** What a query string value must look like to be read as a number: a plain decimal. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Strings people send where a number belongs, most of which no parser should accept. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'NaN',
    'nan',
    'Infinity',
    '-Infinity',
    'inf',
    '∞',
    '1e999',
    '-1e999',
    '',
    ' ',
    '\t',
    '\u22121',
    '\u2212 1',
    '\u20131',
    '0x10',
    '0b1',
    '0o7',
    '1_000',
    '1,5',
    '１２',
    '٣',
    '+-1',
    '--1',
    '1e',
    'e5',
    '.',
    '-',
    ' 1',
    '1 ',
    'null',
    'true',
    '[]',
    '{}',
    '\u0000',
    '1\u0000',
    '52.2',
    '-0',
  ),
  fc.integer({ min: 310, max: 2000 }).map((digits) => '9'.repeat(digits)),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

/** JSON values that are not numbers: what a body may carry in place of one. */
const notAJsonNumber: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(null, true, false, [], {}, [1], [52.2, 21], { value: 1 }, { valueOf: 1 }),
  fc.jsonValue({ maxDepth: 2 }).filter((value) => typeof value !== 'number'),
);

/** Numbers that JSON can carry but `kind` refuses: outside its range, or not whole. */
function refusedNumbers(kind: Extract<FieldKind, { type: 'number' }>): fc.Arbitrary<number>[] {
  return someNumbers(kind).map((numbers) => numbers.filter((value) => !fits(kind, value)));
}

function someNumbers(kind: Extract<FieldKind, { type: 'number' }>): fc.Arbitrary<number>[] {
  const choices: fc.Arbitrary<number>[] = [];
  const { min, max } = kind;
  if (max !== undefined) {
    choices.push(
      fc.double({ min: max, minExcluded: true, max: Number.MAX_VALUE, noNaN: true }),
      fc.constantFrom(max + 1e-7, max + Math.abs(max) * Number.EPSILON * 2 || 1e-300),
    );
  }
  if (min !== undefined) {
    choices.push(
      fc.double({ max: min, maxExcluded: true, min: -Number.MAX_VALUE, noNaN: true }),
      fc.constantFrom(min - 1e-7, min - Math.abs(min) * Number.EPSILON * 2 || -1e-300),
    );
  }
  if (kind.integer) {
    choices.push(
      fc
        .double({ min: min ?? -1e6, max: max ?? 1e6, noNaN: true })
        .filter((value) => !Number.isInteger(value)),
    );
  }
  return choices;
}

/** A JSON value that the field of `kind` must refuse, or undefined: the field left out. */
export function refusedInBody(kind: FieldKind): fc.Arbitrary<unknown> {
  const absent = fc.constant(undefined);
  switch (kind.type) {
    case 'number':
      return fc.oneof(absent, notAJsonNumber, ...refusedNumbers(kind));
    case 'string':
      return fc.oneof(
        absent,
        fc.constantFrom(null, true, 0, 42, [], ['34UEC000832'], {}),
        fc.string({ maxLength: kind.minLength - 1 }),
        fc.string({ minLength: kind.maxLength + 1, maxLength: kind.maxLength + 400 }),
      );
    case 'enum':
      return fc.oneof(
        absent,
        notAJsonNumber.filter((value) => typeof value !== 'string' || !kind.values.includes(value)),
        fc.constantFrom(...kind.values.flatMap((v) => [v.toLowerCase(), ` ${v}`, `${v}${v}`])),
      );
  }
}

/** A query value (one string, repeated strings, or none) that the field must refuse. */
export function refusedInQuery(kind: FieldKind): fc.Arbitrary<string | string[] | undefined> {
  const absent = fc.constant(undefined);
  const repeated = fc.array(fc.constantFrom('1', '2', 'N', '34UEC000832'), {
    minLength: 2,
    maxLength: 4,
  });
  switch (kind.type) {
    case 'number':
      return fc.oneof(
        absent,
        repeated,
        hostileString.filter(
          (text) =>
            !DECIMAL.test(text) || !Number.isFinite(Number(text)) || !fits(kind, Number(text)),
        ),
        ...refusedNumbers(kind).map((numbers) => numbers.map(String)),
      );
    case 'string':
      return fc.oneof(
        absent,
        repeated,
        fc.string({ maxLength: kind.minLength - 1 }),
        fc.string({ minLength: kind.maxLength + 1, maxLength: kind.maxLength + 400 }),
      );
    case 'enum':
      return fc.oneof(
        absent,
        repeated,
        hostileString.filter((text) => !kind.values.includes(text)),
      );
  }
}

function fits(kind: Extract<FieldKind, { type: 'number' }>, value: number): boolean {
  return (
    (kind.min === undefined || value >= kind.min) &&
    (kind.max === undefined || value <= kind.max) &&
    (!kind.integer || Number.isInteger(value))
  );
}

/** A valid value of a numeric field, as a body carries it. */
export function validNumber(kind: FieldKind): fc.Arbitrary<number> {
  if (kind.type !== 'number') throw new Error('validNumber wants a numeric kind');
  const range = { min: kind.min ?? -1e7, max: kind.max ?? 1e7 };
  return kind.integer ? fc.integer(range) : fc.double({ ...range, noNaN: true });
}

/** Any point on Earth, with the poles, the antimeridian, zone and band edges, and -0 likely. */
export const aLatLon = fc.record({
  lat: fc.oneof(
    fc.double({ min: -90, max: 90, noNaN: true }),
    fc.constantFrom(-0, 90, -90, 84, 84.0000001, -80, -80.0000001, 72, 56, 64, 49.75, 61.01),
  ),
  lon: fc.oneof(
    fc.double({ min: -180, max: 180, noNaN: true }),
    fc.constantFrom(-0, 180, -180, 3, 6, 9, 12, 21, 33, 42, 179.9999999),
  ),
});

/** A system id as a client might spell it: any case, padded with spaces. */
export function spelled(id: string): fc.Arbitrary<string> {
  return fc
    .tuple(fc.mixedCase(fc.constant(id)), fc.constantFrom('', ' ', '  '), fc.constantFrom('', ' '))
    .map(([text, before, after]) => `${before}${text}${after}`);
}

/** The EPSG codes that name built-in systems, accepted wherever their ids are. */
export const aliases: Record<string, string> = {
  latlon: 'EPSG:4326',
  webmercator: 'EPSG:3857',
  ecef: 'EPSG:4978',
};

/** A system as a client might name it: its id in any case, or its EPSG alias. */
export function aSystemName(id: string): fc.Arbitrary<string> {
  const alias = aliases[id];
  return alias === undefined ? spelled(id) : fc.oneof(spelled(id), spelled(alias));
}

/** A non-empty list of known systems, in any order, as a client might write their names. */
export function aTargetList(ids: readonly string[]) {
  return fc
    .shuffledSubarray([...ids], { minLength: 1 })
    .chain((chosen) =>
      fc.tuple(...chosen.map(aSystemName)).map((names) => ({ names, ids: chosen })),
    );
}

/** System names that are none of `ids`, in any case or spacing. */
export function anUnknownSystem(ids: readonly string[]): fc.Arbitrary<unknown> {
  const known = new Set(
    [...ids, ...Object.values(aliases)].flatMap((id) => [id.toLowerCase(), id.toUpperCase()]),
  );
  const isKnown = (text: string) =>
    known.has(text.trim().toLowerCase()) || known.has(text.trim().toUpperCase());
  return fc.oneof(
    fc
      .oneof(
        fc.constantFrom(
          'osgb',
          'wgs84',
          'EPSG:4327',
          'EPSG:',
          'EPSG',
          'epsg:27700.0',
          'EPSG: 27700',
          'lat lon',
          'lat-lon',
          'latlong',
          'UTM33',
          'mgrs\u0000',
          'Ｕtm',
          '__proto__',
          'constructor',
          'toString',
        ),
        hostileString,
      )
      .filter((text) => !isKnown(text)),
    fc.constantFrom(null, 1, true, [], ['latlon'], { id: 'latlon' }),
  );
}

/** Key names no endpoint knows; the first few are the ones that trip up plain objects. */
export function anUnknownKey(known: readonly string[]): fc.Arbitrary<string> {
  return fc
    .oneof(
      fc.constantFrom(
        '__proto__',
        '__proto__',
        'constructor',
        'prototype',
        'toString',
        'hasOwnProperty',
        'valueOf',
        'Lat',
        'LAT',
        'alt',
        'height',
        'lat[]',
        'lat[0]',
        'precision',
      ),
      fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/),
    )
    .filter((key) => !known.includes(key));
}

/** What a client might send as If-None-Match: lists, weak tags, wildcards and junk. */
export const anEtagHeader: fc.Arbitrary<string> = fc.string({
  unit: fc.constantFrom(...' "*,/W0123456789abcdefABCDEF-_'),
  maxLength: 40,
});
