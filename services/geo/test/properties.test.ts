/**
 * Property-based tests over every endpoint: whatever arrives (NaN, Infinity, huge numbers, empty
 * strings, unicode minus signs, wrong types, unknown keys, 10 MB bodies), geo answers 200 or a
 * problem+json 400/413/415/422 that names the field, never a 5xx, and never hangs.
 *
 * Each property runs a bounded number of random cases. When one fails, fast-check prints the
 * shrunk counterexample and the seed; `fc.assert(..., { seed, path })` replays it.
 */
import type { RunningApp } from '@quadrants/service-kit/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGeo, testLimits } from './app.ts';
import {
  aLatLon,
  anUnknownKey,
  anUnknownSystem,
  aSystemName,
  aTargetList,
  type FieldKind,
  type Fields,
  fieldKinds,
  geodesicDirectKinds,
  geodesicInverseKinds,
  hostileString,
  optionKinds,
  refusedInBody,
  refusedInQuery,
  validNumber,
} from './arbitraries.ts';

// A request that has not answered by then counts as a hang.
const REQUEST_TIMEOUT_MS = 5_000;
const PROPERTY_TIMEOUT_MS = 60_000;
const TEN_MB = 10 * 1024 * 1024;
const OPTION_NAMES = ['to', 'mgrsPrecision', 'dmsPrecision', 'utmZone'];

interface FieldProblem {
  field: string;
  detail: string;
}

interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors?: FieldProblem[];
  maxPoints?: number;
}

interface ItemError {
  error: { status: number; code: string; detail: string; errors: FieldProblem[] };
  line?: number;
}

interface Answer {
  status: number;
  type: string;
  text: string;
  body: unknown;
}

type Via = 'GET' | 'POST';
/** Where a value travels: a query string carries strings, a JSON body any JSON value. */
type Form = 'query' | 'json';

let geo: RunningApp;
/** Every system id, as GET /crs lists them. */
let systemIds: string[] = [];
/** One valid position per system, in that system's fields, as the service itself wrote it. */
const examples = new Map<string, Fields>();

async function call(path: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(`${geo.baseUrl}${path}`, {
    ...init,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  const body: unknown = /^application\/(problem\+)?json/.test(type) ? JSON.parse(text) : undefined;
  return { status: response.status, type, text, body };
}

function postJson(path: string, value: unknown): Promise<Answer> {
  return postText(path, JSON.stringify(value) ?? '');
}

function postText(path: string, text: string, type = 'application/json'): Promise<Answer> {
  return call(path, { method: 'POST', headers: { 'content-type': type }, body: text });
}

/** A query string; an array value repeats the parameter, an undefined one leaves it out. */
function query(params: Fields): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) search.append(name, String(one));
  }
  return search.toString();
}

/** GET /convert with the position's fields and the options in the query, or POST /convert. */
function convert(via: Via, position: Fields, options: Fields = {}): Promise<Answer> {
  return via === 'GET'
    ? call(`/convert?${query({ ...position, ...options })}`)
    : postJson('/convert', { position, ...options });
}

/** The options as GET writes them: a system list joined with commas. */
function inQuery(options: { to?: string[] } & Fields): Fields {
  return options.to === undefined ? options : { ...options, to: options.to.join(',') };
}

function expectProblem(answer: Answer, statuses: readonly number[]): Problem {
  expect(statuses, answer.text).toContain(answer.status);
  expect(answer.type).toMatch(/^application\/problem\+json/);
  const problem = answer.body as Problem;
  expect(problem.status).toBe(answer.status);
  expect(problem.code).toEqual(expect.any(String));
  if (answer.status === 400 || answer.status === 422) {
    expect(problem.errors, answer.text).toContainEqual({
      field: expect.any(String),
      detail: expect.any(String),
    });
  }
  return problem;
}

/** The field at `path` or inside it (`to` covers `to.0`). */
function expectNamed(errors: readonly FieldProblem[] | undefined, path: string): void {
  const fields = (errors ?? []).map((error) => error.field);
  expect(
    fields.some((field) => field === path || field.startsWith(`${path}.`)),
    `expected an error naming ${path}, got ${JSON.stringify(errors)}`,
  ).toBe(true);
}

/** `name` as the field itself or the last step of a path (`position.mgrs`, `points.3.mgrs`). */
function expectNamedAnywhere(errors: readonly FieldProblem[] | undefined, name: string): void {
  const fields = (errors ?? []).map((error) => error.field);
  expect(
    fields.some((field) => field === name || field.endsWith(`.${name}`)),
    `expected an error naming ${name}, got ${JSON.stringify(errors)}`,
  ).toBe(true);
}

/** An unknown key is reported on the object that holds it, with the key in the detail. */
function expectUnknownKey(problem: Problem, parent: string, key: string): void {
  expect(problem.errors, JSON.stringify(problem)).toContainEqual({
    field: parent,
    detail: expect.stringContaining(key),
  });
}

/** A conversion answer's value for `id`, as the fields of a position in that system. */
function asPosition(id: string, value: unknown): Fields {
  if (id === 'dms') return { position: value };
  if (id === 'mgrs') return { mgrs: value };
  return value as Fields;
}

function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** A body sent in the given pieces, without a Content-Length. */
function inPieces(bytes: Buffer, cuts: readonly number[]): ReadableStream<Uint8Array> {
  const ends = [...new Set(cuts.map((cut) => cut % (bytes.length + 1))), bytes.length].sort(
    (a, b) => a - b,
  );
  const pieces: Buffer[] = [];
  let start = 0;
  for (const end of ends) {
    if (end > start) pieces.push(bytes.subarray(start, end));
    start = Math.max(start, end);
  }
  return new ReadableStream({
    pull(controller) {
      const piece = pieces.shift();
      if (piece === undefined) controller.close();
      else controller.enqueue(piece);
    },
  });
}

function postStream(path: string, body: ReadableStream<Uint8Array>, type: string) {
  return call(path, { method: 'POST', headers: { 'content-type': type }, body, duplex: 'half' });
}

/** The service still converts a plain point: whatever came before did not break it. */
async function expectStillConverting(): Promise<void> {
  const answer = await call('/convert?from=latlon&lat=52.2&lon=21&to=mgrs');
  expect(answer.status, answer.text).toBe(200);
  expect(answer.body).toEqual({ mgrs: '34UEC0000083283' });
}

beforeAll(async () => {
  geo = await startGeo();
  const crs = await call('/crs');
  const { systems } = crs.body as {
    systems: { id: string; area?: [number, number, number, number] }[];
  };
  systemIds = systems.map((system) => system.id);
  for (const { id, area } of systems) {
    const [west, south, east, north] = area ?? [21, 52.2, 21, 52.2];
    const answer = await postJson('/convert', {
      position: { from: 'latlon', lat: (south + north) / 2, lon: (west + east) / 2 },
      to: [id],
    });
    const value = (answer.body as Record<string, unknown>)[id];
    if (answer.status !== 200 || value === null || value === undefined) {
      throw new Error(`no example for ${id}: ${answer.text}`);
    }
    examples.set(id, asPosition(id, value));
  }
});
afterAll(() => geo.close());

/** A valid position in any system, as the service wrote it, under any spelling of its id. */
function aValidPosition(): fc.Arbitrary<Fields> {
  return fc.oneof(
    aLatLon.map((point): Fields => ({ from: 'latlon', ...point })),
    fc
      .constantFrom(...examples.entries())
      .chain(([id, fields]) => aSystemName(id).map((from): Fields => ({ from, ...fields }))),
  );
}

/** A `from` that names no system (or is left out), as a query or a body carries it. */
function aRefusedFrom(form: Form, id: string): fc.Arbitrary<unknown> {
  const unknown = anUnknownSystem(systemIds);
  return form === 'query'
    ? fc.oneof(
        fc.constant(undefined),
        fc.constant([id, id]),
        unknown.filter((from) => typeof from === 'string'),
      )
    : fc.oneof(fc.constant(undefined), unknown);
}

/**
 * A valid position with one field replaced by a value that field must refuse (or left out):
 * unknown `from`s, wrong types, out-of-range numbers, over-long strings.
 */
function aRefusedPosition(form: Form) {
  return fc.constantFrom(...examples.entries()).chain(([id, fields]) => {
    const kinds = fieldKinds(id);
    return fc.constantFrom('from', ...Object.keys(kinds)).chain((field) => {
      const kind = kinds[field];
      const value =
        kind === undefined
          ? aRefusedFrom(form, id)
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

const aVia = fc.constantFrom<Via>('GET', 'POST');

describe('GET /crs', () => {
  test('lists for each system the fields these properties generate', async () => {
    const answer = await call('/crs');
    const { systems } = answer.body as { systems: { id: string; fields: string[] }[] };
    for (const { id, fields } of systems) expect(fields).toEqual(Object.keys(fieldKinds(id)));
  });
});

describe('GET and POST /convert', () => {
  test(
    'a position the service wrote, in any system and any spelling of its id, reads back: 200',
    async () => {
      const spellings = fc.tuple(...systemIds.map(aSystemName));
      await fc.assert(
        fc.asyncProperty(
          aLatLon,
          fc.integer({ min: 0, max: 11 }),
          fc.integer({ min: 0, max: 9 }),
          spellings,
          aTargetList(systemIds),
          aVia,
          async (point, mgrsPrecision, dmsPrecision, names, targets, via) => {
            const written = await postJson('/convert', {
              position: { from: 'latlon', ...point },
              to: systemIds,
              mgrsPrecision,
              dmsPrecision,
            });
            expect(written.status, written.text).toBe(200);
            const conversion = written.body as Record<string, unknown>;
            expect(Object.keys(conversion)).toEqual(systemIds);
            for (const [index, id] of systemIds.entries()) {
              const value = conversion[id];
              if (value === null) continue;
              const position = { ...asPosition(id, value), from: names[index] ?? id };
              const options = { to: targets.names };
              const answer = await convert(
                via,
                position,
                via === 'GET' ? inQuery(options) : options,
              );
              expect(answer.status, `${JSON.stringify(position)} → ${answer.text}`).toBe(200);
              expect(Object.keys(answer.body as Fields).sort()).toEqual([...targets.ids].sort());
            }
          },
        ),
        { numRuns: 60 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  test(
    'a refused value in any one field of a position answers 400 naming that field',
    async () => {
      const aCase = aVia.chain((via) =>
        aRefusedPosition(via === 'GET' ? 'query' : 'json').map((refused) => ({ via, ...refused })),
      );
      await fc.assert(
        fc.asyncProperty(aCase, async ({ via, field, position }) => {
          const problem = expectProblem(await convert(via, position), [400]);
          expectNamed(problem.errors, via === 'GET' ? field : `position.${field}`);
        }),
        { numRuns: 300 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  const aDmsToken = fc.oneof(
    hostileString,
    fc.constantFrom('nan', 'NaN', 'inf', '-inf', 'Infinity', '\u221290', '90.0000001', '1e3'),
    fc.double().map(String),
    fc.integer({ min: -200, max: 200 }).map(String),
  );
  test.each([
    [
      'dms',
      'position',
      fc.oneof(
        fc
          .tuple(aDmsToken, fc.constantFrom(' ', ', ', ','), aDmsToken)
          .map((parts) => parts.join('')),
        fc
          .array(
            fc.oneof(aDmsToken, fc.constantFrom('N', 'S', 'E', 'W', '°', "'", '"', ',', ':', 'd')),
            { maxLength: 8 },
          )
          .map((parts) => parts.join(' ')),
      ),
    ],
    [
      'mgrs',
      'mgrs',
      fc
        .tuple(
          fc.integer({ min: -1, max: 62 }).map(String),
          fc.stringMatching(/^[A-Za-z]{0,4}$/),
          fc.stringMatching(/^[0-9 ]{0,26}$/),
        )
        .map((parts) => parts.join('')),
    ],
  ])(
    'any text as a %s position answers 200, or 400/422 naming %s',
    async (system, field, aText) => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(aText, hostileString, fc.string({ unit: 'grapheme', maxLength: 70 })),
          aVia,
          async (text, via) => {
            const answer = await convert(via, { from: system, [field]: text });
            if (answer.status === 200) return;
            expectNamedAnywhere(expectProblem(answer, [400, 422]).errors, field);
          },
        ),
        { numRuns: 200 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  const aFarCoordinate = fc.oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(1e308, -1e308, Number.MAX_VALUE, 5e-324, -0, 1e9, -1e9),
  );
  test.each([
    ['utm', 'utm'],
    ['webmercator', 'webmercator'],
    ['ecef', 'ecef'],
    ['a projected system', 'EPSG:'],
  ])(
    'any finite number in one coordinate of %s answers 200, or 422 naming that coordinate',
    async (_name, prefix) => {
      const ids = systemIds.filter((id) => id.startsWith(prefix));
      const aCase = fc.constantFrom(...ids).chain((id) => {
        const kinds = fieldKinds(id);
        const coordinates = Object.entries(kinds)
          .filter(([, kind]) => kind.type === 'number' && kind.min === undefined)
          .map(([name]) => name);
        return fc.record({
          id: fc.constant(id),
          field: fc.constantFrom(...coordinates),
          value: aFarCoordinate,
          via: aVia,
        });
      });
      await fc.assert(
        fc.asyncProperty(aCase, async ({ id, field, value, via }) => {
          const answer = await convert(via, { from: id, ...examples.get(id), [field]: value });
          if (answer.status === 200) return;
          expectNamedAnywhere(expectProblem(answer, [422]).errors, field);
        }),
        { numRuns: 150 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  test(
    'an unknown parameter answers 400 naming the object that holds it',
    async () => {
      interface UnknownKeyCase {
        /** In a GET query, in POST's position, or beside the position in POST's body. */
        via: 'GET' | 'position' | 'body';
        id: string;
        key: string;
        value: unknown;
      }
      const aCase: fc.Arbitrary<UnknownKeyCase> = fc
        .constantFrom(...examples.entries())
        .chain(([id, fields]) => {
          const own = ['from', ...Object.keys(fields)];
          return fc.oneof(
            fc.record({
              via: fc.constant('GET' as const),
              id: fc.constant(id),
              key: anUnknownKey([...own, ...OPTION_NAMES]),
              value: fc.oneof(hostileString, fc.constant('1')),
            }),
            fc.record({
              via: fc.constantFrom('position' as const, 'body' as const),
              id: fc.constant(id),
              key: anUnknownKey([...own, 'position', ...OPTION_NAMES]),
              value: fc.jsonValue({ maxDepth: 2 }),
            }),
          );
        });
      await fc.assert(
        fc.asyncProperty(aCase, async ({ via, id, key, value }) => {
          const position = { from: id, ...examples.get(id) };
          if (via === 'GET') {
            const answer = await call(`/convert?${query({ ...position, [key]: value })}`);
            expectUnknownKey(expectProblem(answer, [400]), '(root)', key);
          } else if (via === 'position') {
            const answer = await postJson('/convert', { position: { ...position, [key]: value } });
            expectUnknownKey(expectProblem(answer, [400]), 'position', key);
          } else {
            const answer = await postJson('/convert', { position, [key]: value });
            expectUnknownKey(expectProblem(answer, [400]), '(root)', key);
          }
        }),
        {
          numRuns: 200,
          // The one key a plain object does not keep as its own, in each place it may be sent.
          examples: (['GET', 'position', 'body'] as const).map((via): [UnknownKeyCase] => [
            { via, id: 'latlon', key: '__proto__', value: '1' },
          ]),
        },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  test(
    'a raw JSON token where a number belongs answers 200 when it is one in range, else 400',
    async () => {
      const aToken = fc.oneof(
        fc.constantFrom(
          'NaN',
          'Infinity',
          '-Infinity',
          '1e999',
          '-1e999',
          '1e-999',
          '5e-324',
          '-0',
          '0x10',
          '1_000',
          '+1',
          '.5',
          '1.',
          '01',
          '\u22121',
          '90.0000000000000001',
          '90.0000001',
          '9'.repeat(400),
          `0.${'0'.repeat(400)}1`,
        ),
        fc.double().map(String),
      );
      await fc.assert(
        fc.asyncProperty(aToken, async (token) => {
          const text = `{"position":{"from":"latlon","lat":${token},"lon":21}}`;
          const answer = await postText('/convert', text);
          let lat: unknown;
          try {
            lat = (JSON.parse(text) as { position: { lat: unknown } }).position.lat;
          } catch {
            expectNamed(expectProblem(answer, [400]).errors, '(body)');
            return;
          }
          if (typeof lat === 'number' && Number.isFinite(lat) && Math.abs(lat) <= 90) {
            expect(answer.status, answer.text).toBe(200);
          } else {
            expectNamed(expectProblem(answer, [400]).errors, 'position.lat');
          }
        }),
        { numRuns: 100 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  test(
    'raw percent-encoding in a query value answers 200 or 400 naming the field',
    async () => {
      const aRaw = fc.string({
        unit: fc.constantFrom(...'%0123456789ABCDEFabcdef.+-eE= '),
        maxLength: 24,
      });
      await fc.assert(
        fc.asyncProperty(aRaw, async (raw) => {
          const answer = await call(`/convert?from=latlon&lon=21&lat=${raw}`);
          if (answer.status === 200) return;
          expectNamed(expectProblem(answer, [400, 422]).errors, 'lat');
        }),
        { numRuns: 150 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

/** A value the option must refuse, as a body (JSON) or a query (strings) carries it. */
function aRefusedOption(name: string, form: Form): fc.Arbitrary<unknown> {
  const kind: FieldKind | undefined = optionKinds[name];
  const tooMany = Array.from({ length: systemIds.length + 1 }, () => 'latlon');
  if (kind === undefined && form === 'json') {
    return fc.oneof(
      fc.constantFrom(null, 'latlon', 'latlon,utm', 1, true, {}, [], [null], [['latlon']], tooMany),
      anUnknownSystem(systemIds).map((id) => [id]),
      anUnknownSystem(systemIds).map((id) => ['latlon', id]),
    );
  }
  if (kind === undefined) {
    return fc.oneof(
      fc.constantFrom('', ',', 'latlon,', ',latlon', 'latlon,,utm', tooMany.join(',')),
      fc.constant(['latlon', 'utm']),
      anUnknownSystem(systemIds).filter(
        (id): id is string => typeof id === 'string' && !id.includes(','),
      ),
    );
  }
  return (form === 'json' ? refusedInBody(kind) : refusedInQuery(kind)).filter(
    (value) => value !== undefined,
  );
}

describe('output options of every conversion endpoint', () => {
  type Endpoint = 'GET /convert' | 'POST /convert' | 'POST /convert/batch' | 'POST /convert/stream';
  /** Where each endpoint reads its options from. */
  const optionsIn: Record<Endpoint, Form> = {
    'GET /convert': 'query',
    'POST /convert': 'json',
    'POST /convert/batch': 'json',
    'POST /convert/stream': 'query',
  };
  const position = { from: 'latlon', lat: 52.2, lon: 21 };

  function send(endpoint: Endpoint, options: Fields): Promise<Answer> {
    switch (endpoint) {
      case 'GET /convert':
        return call(`/convert?${query({ ...position, ...options })}`);
      case 'POST /convert':
        return postJson('/convert', { position, ...options });
      case 'POST /convert/batch':
        return postJson('/convert/batch', { points: [position], ...options });
      case 'POST /convert/stream':
        return postText(
          `/convert/stream?${query(options)}`,
          `${JSON.stringify(position)}\n`,
          'application/x-ndjson',
        );
    }
  }

  test(
    'a refused option answers 400 naming the option',
    async () => {
      const endpoints = Object.keys(optionsIn) as Endpoint[];
      const aCase = fc
        .tuple(fc.constantFrom(...endpoints), fc.constantFrom(...OPTION_NAMES))
        .chain(([endpoint, name]) =>
          aRefusedOption(name, optionsIn[endpoint]).map((value) => ({ endpoint, name, value })),
        );
      await fc.assert(
        fc.asyncProperty(aCase, async ({ endpoint, name, value }) => {
          const answer = await send(endpoint, { [name]: value });
          expectNamed(expectProblem(answer, [400]).errors, name);
        }),
        { numRuns: 250 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  test(
    'any UTM zone asked for answers 200, or 422 naming utmZone',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          aLatLon,
          fc.integer({ min: 0, max: 60 }),
          aVia,
          async (point, utmZone, via) => {
            const options = { to: ['utm'], utmZone };
            const answer = await convert(
              via,
              { from: 'latlon', ...point },
              via === 'GET' ? inQuery(options) : options,
            );
            if (answer.status === 200) return;
            expectNamed(expectProblem(answer, [422]).errors, 'utmZone');
          },
        ),
        { numRuns: 150 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

describe('POST /convert/batch', () => {
  type Point =
    | { kind: 'valid'; point: unknown }
    | { kind: 'refused'; point: unknown; field: string }
    | { kind: 'junk'; point: unknown };

  function aPoint(): fc.Arbitrary<Point> {
    return fc.oneof(
      aValidPosition().map((point): Point => ({ kind: 'valid', point })),
      aRefusedPosition('json').map(
        ({ position, field }): Point => ({ kind: 'refused', point: position, field }),
      ),
      fc
        .oneof(
          fc.jsonValue({ maxDepth: 2 }),
          fc.constantFrom(null, 0, '', [], {}, 'latlon', { from: 'latlon' }),
        )
        .map((point): Point => ({ kind: 'junk', point })),
    );
  }

  test(
    'answers 200 with one result per point, in order: a conversion or an error naming the point',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(aPoint(), { maxLength: testLimits.batchMaxPoints }),
          async (points) => {
            const answer = await postJson('/convert/batch', { points: points.map((p) => p.point) });
            expect(answer.status, answer.text).toBe(200);
            const { results } = answer.body as { results: unknown[] };
            expect(results).toHaveLength(points.length);
            for (const [index, point] of points.entries()) {
              const result = results[index] as Partial<ItemError> & Fields;
              const where = `points.${index}: ${JSON.stringify(point)} → ${JSON.stringify(result)}`;
              if (point.kind === 'valid') {
                expect(result.error, where).toBeUndefined();
                expect(Object.keys(result), where).toEqual([
                  'latlon',
                  'dms',
                  'utm',
                  'mgrs',
                  'webmercator',
                  'ecef',
                ]);
                continue;
              }
              expect(result.error, where).toBeDefined();
              expect([400, 422], where).toContain(result.error?.status);
              expectNamed(
                result.error?.errors,
                point.kind === 'refused' ? `points.${index}.${point.field}` : `points.${index}`,
              );
            }
          },
        ),
        { numRuns: 100 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  test('exactly batchMaxPoints points answer 200', async () => {
    const points = Array.from({ length: testLimits.batchMaxPoints }, () => ({
      from: 'latlon',
      lat: 1,
      lon: 2,
    }));
    const answer = await postJson('/convert/batch', { points });
    expect(answer.status).toBe(200);
    expect((answer.body as { results: unknown[] }).results).toHaveLength(points.length);
  });

  test(
    'more than batchMaxPoints points, valid or not, answer 413 naming the limit',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.oneof(aValidPosition(), fc.jsonValue({ maxDepth: 1 })), {
            minLength: testLimits.batchMaxPoints + 1,
            maxLength: testLimits.batchMaxPoints * 3,
          }),
          async (points) => {
            const problem = expectProblem(await postJson('/convert/batch', { points }), [413]);
            expect(problem.code).toBe('batch_too_large');
            expect(problem.maxPoints).toBe(testLimits.batchMaxPoints);
          },
        ),
        { numRuns: 30 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

describe('POST /convert/stream', () => {
  type Expected = 'conversion' | 'error' | 'too-long' | 'blank';
  interface Line {
    bytes: Buffer;
    expected: Expected;
    field?: string;
    /** Lines padded to a byte length end in \n alone, so the length is exact. */
    padded?: boolean;
  }

  const isBlank = (bytes: Buffer) => bytes.toString('utf8').replace(/\r$/, '').trim() === '';
  const padTo = (json: string, bytes: number) =>
    utf8(json.padEnd(bytes - utf8(json).length + json.length, ' '));

  function aLine(): fc.Arbitrary<Line> {
    const valid = aValidPosition().map((p) => JSON.stringify(p));
    return fc.oneof(
      valid.map((json): Line => ({ bytes: utf8(json), expected: 'conversion' })),
      aRefusedPosition('json').map(
        ({ position, field }): Line => ({
          bytes: utf8(JSON.stringify(position)),
          expected: 'error',
          field,
        }),
      ),
      fc
        .oneof(
          hostileString.map(utf8),
          fc.string({ unit: 'binary', minLength: 1, maxLength: 80 }).map(utf8),
          fc.uint8Array({ minLength: 1, maxLength: 80 }).map((bytes) => Buffer.from(bytes)),
          // Invalid UTF-8 inside what is otherwise a position.
          fc
            .uint8Array({ minLength: 1, maxLength: 8, min: 0x80, max: 0xff })
            .map((bytes) =>
              Buffer.concat([utf8('{"from":"mgrs","mgrs":"33U'), Buffer.from(bytes), utf8('"}')]),
            ),
        )
        .filter((bytes) => !bytes.includes(0x0a) && !isBlank(bytes))
        .map((bytes): Line => ({ bytes, expected: 'error' })),
      fc
        .constantFrom('', ' ', '\t', '  \t ')
        .map((text): Line => ({ bytes: utf8(text), expected: 'blank' })),
      fc.tuple(valid, fc.integer({ min: testLimits.streamMaxLineBytes + 1, max: 3000 })).map(
        ([json, length]): Line => ({
          bytes: padTo(json, length),
          expected: 'too-long',
          padded: true,
        }),
      ),
      valid.map(
        (json): Line => ({
          bytes: padTo(json, testLimits.streamMaxLineBytes),
          expected: 'conversion',
          padded: true,
        }),
      ),
    );
  }

  test(
    'answers one line per non-blank line, in order, naming bad ones by their number, and carries on',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(aLine(), fc.constantFrom('\n', '\r\n')), { maxLength: 30 }),
          fc.boolean(),
          fc.array(fc.nat(), { maxLength: 12 }),
          async (lines, lastEnded, cuts) => {
            const sent = lines.map(([line, ending], index) => ({
              line,
              ending: index === lines.length - 1 && !lastEnded ? '' : line.padded ? '\n' : ending,
            }));
            const body = Buffer.concat(
              sent.flatMap(({ line, ending }) => [line.bytes, utf8(ending)]),
            );
            const answer = await postStream(
              '/convert/stream',
              inPieces(body, cuts),
              'application/x-ndjson',
            );
            expect(answer.status, answer.text).toBe(200);
            expect(answer.type).toMatch(/^application\/x-ndjson/);
            const answered = answer.text.split('\n');
            expect(answered.pop()).toBe('');
            // A line longer than the limit (a \r before its \n included) is refused as such.
            // Error lines name the line of the body, blank lines counted.
            const expected = sent
              .map(({ line, ending }, index) => ({ line, ending, number: index + 1 }))
              .filter(({ line }) => line.expected !== 'blank')
              .map(({ line, ending, number }): Line & { number: number } => {
                const counted = line.bytes.length + (ending === '\r\n' ? 1 : 0);
                return counted > testLimits.streamMaxLineBytes
                  ? { ...line, expected: 'too-long', number }
                  : { ...line, number };
              });
            expect(answered).toHaveLength(expected.length);
            for (const [index, line] of expected.entries()) {
              const out = JSON.parse(answered[index] ?? '') as Partial<ItemError>;
              const where = `line ${index + 1}: ${JSON.stringify(line.bytes.toString())} → ${answered[index]}`;
              if (line.expected === 'conversion') {
                expect(out.error, where).toBeUndefined();
                continue;
              }
              expect(out.line, where).toBe(line.number);
              if (line.expected === 'too-long') {
                expect(out.error, where).toMatchObject({ status: 413, code: 'line_too_long' });
              } else {
                expect([400, 422], where).toContain(out.error?.status);
                if (line.field !== undefined) expectNamed(out.error?.errors, line.field);
              }
            }
          },
        ),
        { numRuns: 120 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  test('a body that is not NDJSON answers 415', async () => {
    const answer = await postText(
      '/convert/stream',
      '{"from":"latlon","lat":1,"lon":2}\n',
      'text/plain',
    );
    expectProblem(answer, [415]);
  });
});

describe('GET and POST /geodesic/inverse and /geodesic/direct', () => {
  test.each([
    ['inverse', geodesicInverseKinds, ['distance', 'azimuth1', 'azimuth2']],
    ['direct', geodesicDirectKinds, ['lat2', 'lon2', 'azimuth2']],
  ])(
    'valid %s problems answer 200 with a number in every field',
    async (problem, kinds, outputs) => {
      const anInput = fc.record(
        Object.fromEntries(Object.entries(kinds).map(([name, kind]) => [name, validNumber(kind)])),
      );
      await fc.assert(
        fc.asyncProperty(anInput, aVia, async (input, via) => {
          const path = `/geodesic/${problem}`;
          const answer =
            via === 'GET' ? await call(`${path}?${query(input)}`) : await postJson(path, input);
          expect(answer.status, answer.text).toBe(200);
          for (const output of outputs) {
            expect((answer.body as Fields)[output], `${output} in ${answer.text}`).toEqual(
              expect.any(Number),
            );
          }
        }),
        { numRuns: 150 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  test.each([
    ['inverse', geodesicInverseKinds],
    ['direct', geodesicDirectKinds],
  ])(
    'a refused or unknown field in a %s problem answers 400 naming it',
    async (problem, kinds) => {
      const valid = fc.record(
        Object.fromEntries(Object.entries(kinds).map(([name, kind]) => [name, validNumber(kind)])),
      );
      const aCase = fc.tuple(valid, aVia).chain(([input, via]) =>
        fc.oneof(
          fc.constantFrom(...Object.keys(kinds)).chain((field) => {
            const kind = kinds[field] ?? { type: 'number' as const };
            return (via === 'GET' ? refusedInQuery(kind) : refusedInBody(kind)).map((value) => ({
              via,
              input: { ...input, [field]: value } as Fields,
              field,
              parent: field,
            }));
          }),
          anUnknownKey(Object.keys(kinds)).map((key) => ({
            via,
            input: { ...input, [key]: '1' } as Fields,
            field: key,
            parent: '(root)',
          })),
        ),
      );
      await fc.assert(
        fc.asyncProperty(aCase, async ({ via, input, field, parent }) => {
          const path = `/geodesic/${problem}`;
          const answer =
            via === 'GET' ? await call(`${path}?${query(input)}`) : await postJson(path, input);
          const found = expectProblem(answer, [400]);
          if (parent === '(root)') expectUnknownKey(found, parent, field);
          else expectNamed(found.errors, field);
        }),
        { numRuns: 200 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

describe('GET /crs and GET /openapi.json', () => {
  test(
    'any query and any If-None-Match answer 200 or 304',
    async () => {
      const header = fc.string({
        unit: fc.constantFrom(...' "*,/W0123456789abcdefABCDEF-_'),
        maxLength: 40,
      });
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('/crs', '/openapi.json'),
          fc.dictionary(fc.string({ maxLength: 8 }), hostileString, { maxKeys: 4 }),
          fc.option(header, { nil: undefined }),
          async (path, params, etag) => {
            const headers: Record<string, string> =
              etag === undefined ? {} : { 'if-none-match': etag };
            const answer = await call(`${path}?${query(params)}`, { headers });
            expect([200, 304], answer.text).toContain(answer.status);
          },
        ),
        { numRuns: 60 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

describe('bodies of 10 MB', () => {
  const tenMegabytesOfJson = () =>
    JSON.stringify({
      points: Array.from({ length: TEN_MB / 32 }, () => ({ from: 'latlon', lat: 1, lon: 2 })),
    });

  test.each(['/convert', '/convert/batch', '/geodesic/inverse'])(
    'a 10 MB JSON body to %s answers 413, and the service carries on',
    async (path) => {
      const problem = expectProblem(await postText(path, tenMegabytesOfJson()), [413]);
      expect(problem.code).toBe('body_too_large');
      await expectStillConverting();
    },
    PROPERTY_TIMEOUT_MS,
  );

  test(
    'a 10 MB JSON body without a Content-Length answers 413, and the service carries on',
    async () => {
      const body = utf8(tenMegabytesOfJson());
      const cuts = Array.from({ length: 160 }, (_, index) => index * 65_536);
      const problem = expectProblem(
        await postStream('/convert/batch', inPieces(body, cuts), 'application/json'),
        [413],
      );
      expect(problem.code).toBe('body_too_large');
      await expectStillConverting();
    },
    PROPERTY_TIMEOUT_MS,
  );

  test.each(['text/plain', 'application/octet-stream', 'application/xml', 'multipart/form-data'])(
    'a 10 MB %s body answers 415 or 413, and the service carries on',
    async (type) => {
      expectProblem(await postText('/convert', 'a'.repeat(TEN_MB), type), [413, 415]);
      await expectStillConverting();
    },
    PROPERTY_TIMEOUT_MS,
  );

  test(
    'a 10 MB stream of over-long lines answers line_too_long for each, in order',
    async () => {
      const line = `${JSON.stringify({ from: 'latlon', lat: 1, lon: 2 }).padEnd(1023, ' ')}\n`;
      const count = TEN_MB / line.length;
      const answer = await postText('/convert/stream', line.repeat(count), 'application/x-ndjson');
      expect(answer.status).toBe(200);
      const answered = answer.text.trimEnd().split('\n');
      expect(answered).toHaveLength(count);
      for (const [index, text] of answered.entries()) {
        expect(JSON.parse(text)).toMatchObject({
          error: { status: 413, code: 'line_too_long' },
          line: index + 1,
        });
      }
      await expectStillConverting();
    },
    PROPERTY_TIMEOUT_MS,
  );
});

describe('after all of the above', () => {
  test('GET /healthz answers 200', async () => {
    const answer = await call('/healthz');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: 'ok' });
  });
});
