/**
 * Positions in every system geo lists, for the property tests of the conversion endpoints:
 * one valid position per system as the running service itself wrote it, and arbitraries that
 * spoil one field of such a position or one output option. Which values each field refuses is
 * in arbitraries.ts; this file knows the systems.
 */
import fc from 'fast-check';
import {
  aLatLon,
  anUnknownSystem,
  aSystemName,
  type FieldKind,
  type Fields,
  fieldKinds,
  hostileString,
  optionKinds,
  refusedInBody,
  refusedInQuery,
} from './arbitraries.ts';
import type { GeoClient } from './http.ts';

/** Where a value travels: a query string carries strings, a JSON body any JSON value. */
export type Form = 'query' | 'json';

/** The output options of every conversion endpoint. */
export const OPTION_NAMES = ['to', 'mgrsPrecision', 'dmsPrecision', 'utmZone'];

export interface KnownSystems {
  /** Every system id, in the order GET /crs lists them. */
  ids: string[];
  /** One valid position per system, in that system's fields. */
  examples: Map<string, Fields>;
}

/** Asks GET /crs for the systems, then POST /convert for a position inside each one's area. */
export async function learnSystems(api: GeoClient): Promise<KnownSystems> {
  const crs = await api.get('/crs');
  const { systems } = crs.body as {
    systems: { id: string; area?: [number, number, number, number] }[];
  };
  const examples = new Map<string, Fields>();
  for (const { id, area } of systems) {
    const [west, south, east, north] = area ?? [21, 52.2, 21, 52.2];
    const answer = await api.post('/convert', {
      position: { from: 'latlon', lat: (south + north) / 2, lon: (west + east) / 2 },
      to: [id],
    });
    const value = (answer.body as Fields | undefined)?.[id];
    if (answer.status !== 200 || value === null || value === undefined) {
      throw new Error(`no example for ${id}: ${answer.text}`);
    }
    examples.set(id, asPosition(id, value));
  }
  return { ids: systems.map((system) => system.id), examples };
}

/** A conversion answer's value for `id`, as the fields of a position in that system. */
export function asPosition(id: string, value: unknown): Fields {
  if (id === 'dms') return { position: value };
  if (id === 'mgrs') return { mgrs: value };
  return value as Fields;
}

/** A valid position in any system, as the service wrote it, under any spelling of its id. */
export function aValidPosition(known: KnownSystems): fc.Arbitrary<Fields> {
  return fc.oneof(
    aLatLon.map((point): Fields => ({ from: 'latlon', ...point })),
    fc
      .constantFrom(...known.examples.entries())
      .chain(([id, fields]) => aSystemName(id).map((from): Fields => ({ from, ...fields }))),
  );
}

/** A `from` that names no system (or is left out), as a query or a body carries it. */
function aRefusedFrom(known: KnownSystems, form: Form, id: string): fc.Arbitrary<unknown> {
  const unknown = anUnknownSystem(known.ids);
  return form === 'query'
    ? fc.oneof(
        fc.constant(undefined),
        fc.constant([id, id]),
        unknown.filter((from) => typeof from === 'string'),
      )
    : fc.oneof(fc.constant(undefined), unknown);
}

export interface RefusedPosition {
  /** The field whose value the position must be refused for. */
  field: string;
  position: Fields;
}

/**
 * A valid position with one field replaced by a value that field must refuse (or left out):
 * unknown `from`s, wrong types, out-of-range numbers, over-long strings.
 */
export function aRefusedPosition(known: KnownSystems, form: Form): fc.Arbitrary<RefusedPosition> {
  return fc.constantFrom(...known.examples.entries()).chain(([id, fields]) => {
    const kinds = fieldKinds(id);
    return fc.constantFrom('from', ...Object.keys(kinds)).chain((field) => {
      const kind = kinds[field];
      const value =
        kind === undefined
          ? aRefusedFrom(known, form, id)
          : form === 'query'
            ? refusedInQuery(kind)
            : refusedInBody(kind);
      return value.map((refused) => ({
        field,
        position: { from: id, ...fields, [field]: refused } as Fields,
      }));
    });
  });
}

/** A value the output option `name` must refuse, as a body (JSON) or a query carries it. */
export function aRefusedOption(
  known: KnownSystems,
  name: string,
  form: Form,
): fc.Arbitrary<unknown> {
  const kind: FieldKind | undefined = optionKinds[name];
  const tooMany = Array.from({ length: known.ids.length + 1 }, () => 'latlon');
  if (kind === undefined && form === 'json') {
    return fc.oneof(
      fc.constantFrom(null, 'latlon', 'latlon,utm', 1, true, {}, [], [null], [['latlon']], tooMany),
      anUnknownSystem(known.ids).map((id) => [id]),
      anUnknownSystem(known.ids).map((id) => ['latlon', id]),
    );
  }
  if (kind === undefined) {
    return fc.oneof(
      fc.constantFrom('', ',', 'latlon,', ',latlon', 'latlon,,utm', tooMany.join(',')),
      fc.constant(['latlon', 'utm']),
      anUnknownSystem(known.ids).filter(
        (id): id is string => typeof id === 'string' && !id.includes(','),
      ),
    );
  }
  return (form === 'json' ? refusedInBody(kind) : refusedInQuery(kind)).filter(
    (value) => value !== undefined,
  );
}

/** Any output option with a value it must refuse. */
export function aRefusedOptionOf(known: KnownSystems, form: Form) {
  return fc
    .constantFrom(...OPTION_NAMES)
    .chain((name) => aRefusedOption(known, name, form).map((value) => ({ name, value })));
}

const aDmsToken = fc.oneof(
  hostileString,
  fc.constantFrom('nan', 'NaN', 'inf', '-inf', 'Infinity', '\u221290', '90.0000001', '1e3'),
  fc.double().map(String),
  fc.integer({ min: -200, max: 200 }).map(String),
);

/** Text that looks more or less like a position in `system` (dms or mgrs), or any text at all. */
export function aPositionText(system: string): fc.Arbitrary<string> {
  const aLikely =
    system === 'dms'
      ? fc.oneof(
          fc
            .tuple(aDmsToken, fc.constantFrom(' ', ', ', ','), aDmsToken)
            .map((parts) => parts.join('')),
          fc
            .array(
              fc.oneof(
                aDmsToken,
                fc.constantFrom('N', 'S', 'E', 'W', '°', "'", '"', ',', ':', 'd'),
              ),
              { maxLength: 8 },
            )
            .map((parts) => parts.join(' ')),
        )
      : fc
          .tuple(
            fc.integer({ min: -1, max: 62 }).map(String),
            fc.stringMatching(/^[A-Za-z]{0,4}$/),
            fc.stringMatching(/^[0-9 ]{0,26}$/),
          )
          .map((parts) => parts.join(''));
  return fc.oneof(aLikely, hostileString, fc.string({ unit: 'grapheme', maxLength: 70 }));
}

/** One unbounded coordinate (easting, x, …) of a system whose id starts with `prefix`, set to any finite number. */
export function aFarCoordinateOf(known: KnownSystems, prefix: string) {
  const aFarCoordinate = fc.oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(1e308, -1e308, Number.MAX_VALUE, 5e-324, -0, 1e9, -1e9),
  );
  const ids = known.ids.filter((id) => id.startsWith(prefix));
  return fc.constantFrom(...ids).chain((id) => {
    const coordinates = Object.entries(fieldKinds(id))
      .filter(([, kind]) => kind.type === 'number' && kind.min === undefined)
      .map(([name]) => name);
    return fc.record({
      id: fc.constant(id),
      field: fc.constantFrom(...coordinates),
      value: aFarCoordinate,
    });
  });
}
