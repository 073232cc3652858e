/**
 * POST /convert: `{"position": {"from": …}, "to": […], …options}` as JSON, answered in the
 * systems asked for. Examples first, then properties over every system GET /crs lists.
 *
 * Each property runs a bounded number of random cases. When one fails, fast-check prints the
 * shrunk counterexample and the seed; `fc.assert(..., { seed, path })` replays it.
 */
import type { RunningApp } from '@quadrants/service-kit/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGeo } from './app.ts';
import { aLatLon, anUnknownKey, aSystemName, aTargetList, type Fields } from './arbitraries.ts';
import {
  client,
  expectNamed,
  expectNamedAnywhere,
  expectProblem,
  expectUnknownKey,
  type GeoClient,
} from './http.ts';
import {
  aFarCoordinateOf,
  aPositionText,
  aRefusedOptionOf,
  aRefusedPosition,
  asPosition,
  type KnownSystems,
  learnSystems,
  OPTION_NAMES,
  type RefusedPosition,
} from './positions.ts';

let geo: RunningApp;
let api: GeoClient;
let known: KnownSystems;

beforeAll(async () => {
  geo = await startGeo();
  api = client(geo);
  known = await learnSystems(api);
});
afterAll(() => geo.close());

/** POST /convert with the options beside the position. */
function postConvert(position: unknown, options: Fields = {}) {
  return api.post('/convert', { position, ...options });
}

describe('POST /convert', () => {
  test('converts UTM, with options beside the position', async () => {
    const { status, body } = await postConvert(
      { from: 'utm', zone: 34, hemisphere: 'N', easting: 500000, northing: 5783283.161499562 },
      { to: ['latlon', 'mgrs'], mgrsPrecision: 3 },
    );
    expect(status).toBe(200);
    expect(body).toEqual({
      latlon: { lat: expect.closeTo(52.2, 9), lon: expect.closeTo(21, 9) },
      mgrs: '34UEC000832',
    });
  });

  test('when the body is not an object, answers 400', async () => {
    expectProblem(await api.post('/convert', [1, 2]), [400]);
  });

  test('a position the service wrote, in any system and any spelling of its id, reads back', async () => {
    await fc.assert(
      fc.asyncProperty(
        aLatLon,
        fc.integer({ min: 0, max: 11 }),
        fc.integer({ min: 0, max: 9 }),
        fc.tuple(...known.ids.map(aSystemName)),
        aTargetList(known.ids),
        async (point, mgrsPrecision, dmsPrecision, names, targets) => {
          const written = await postConvert(
            { from: 'latlon', ...point },
            { to: known.ids, mgrsPrecision, dmsPrecision },
          );
          expect(written.status, written.text).toBe(200);
          const conversion = written.body as Fields;
          expect(Object.keys(conversion)).toEqual(known.ids);
          for (const [index, id] of known.ids.entries()) {
            const value = conversion[id];
            if (value === null) continue;
            const position = { ...asPosition(id, value), from: names[index] ?? id };
            const answer = await postConvert(position, { to: targets.names });
            expect(answer.status, `${JSON.stringify(position)} → ${answer.text}`).toBe(200);
            expect(Object.keys(answer.body as Fields).sort()).toEqual([...targets.ids].sort());
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  test('when any one field of the position holds a value it refuses, answers 400 naming that field', async () => {
    await fc.assert(
      fc.asyncProperty(aRefusedPosition(known, 'json'), async ({ field, position }) => {
        const problem = expectProblem(await postConvert(position), [400]);
        expectNamed(problem.errors, `position.${field}`);
      }),
      {
        numRuns: 150,
        // A number sent as a string is refused, not read.
        examples: [
          [{ field: 'lat', position: { from: 'latlon', lat: '52.2', lon: 21 } }],
        ] satisfies [RefusedPosition][],
      },
    );
  });

  test.each([
    ['dms', 'position'],
    ['mgrs', 'mgrs'],
  ])('any text as a %s position answers 200, or 400/422 naming %s', async (system, field) => {
    await fc.assert(
      fc.asyncProperty(aPositionText(system), async (text) => {
        const answer = await postConvert({ from: system, [field]: text });
        if (answer.status === 200) return;
        expectNamedAnywhere(expectProblem(answer, [400, 422]).errors, field);
      }),
      { numRuns: 100 },
    );
  });

  test.each([
    ['utm', 'utm'],
    ['webmercator', 'webmercator'],
    ['ecef', 'ecef'],
    ['a projected system', 'EPSG:'],
  ])(
    'any finite number in one coordinate of %s answers 200, or 422 naming that coordinate',
    async (_name, prefix) => {
      await fc.assert(
        fc.asyncProperty(aFarCoordinateOf(known, prefix), async ({ id, field, value }) => {
          const answer = await postConvert({ from: id, ...known.examples.get(id), [field]: value });
          if (answer.status === 200) return;
          expectNamedAnywhere(expectProblem(answer, [422]).errors, field);
        }),
        { numRuns: 75 },
      );
    },
  );

  test('an unknown key, in the position or beside it, answers 400 naming the object that holds it', async () => {
    interface UnknownKeyCase {
      where: 'position' | 'body';
      id: string;
      key: string;
      value: unknown;
    }
    const aCase: fc.Arbitrary<UnknownKeyCase> = fc
      .constantFrom(...known.examples.entries())
      .chain(([id, fields]) =>
        fc.record({
          where: fc.constantFrom('position' as const, 'body' as const),
          id: fc.constant(id),
          key: anUnknownKey(['from', ...Object.keys(fields), 'position', ...OPTION_NAMES]),
          value: fc.jsonValue({ maxDepth: 2 }),
        }),
      );
    await fc.assert(
      fc.asyncProperty(aCase, async ({ where, id, key, value }) => {
        const position = { from: id, ...known.examples.get(id) };
        if (where === 'position') {
          const answer = await postConvert({ ...position, [key]: value });
          expectUnknownKey(expectProblem(answer, [400]), 'position', key);
        } else {
          const answer = await api.post('/convert', { position, [key]: value });
          expectUnknownKey(expectProblem(answer, [400]), '(root)', key);
        }
      }),
      {
        numRuns: 100,
        // The one key a plain object does not keep as its own, in each place it may be sent.
        examples: (['position', 'body'] as const).map((where): [UnknownKeyCase] => [
          { where, id: 'latlon', key: '__proto__', value: '1' },
        ]),
      },
    );
  });

  test('a raw JSON token where a number belongs answers 200 when it is one in range, else 400', async () => {
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
        const answer = await api.postText('/convert', text, 'application/json');
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
  });

  test('a refused output option answers 400 naming the option', async () => {
    await fc.assert(
      fc.asyncProperty(aRefusedOptionOf(known, 'json'), async ({ name, value }) => {
        const answer = await postConvert({ from: 'latlon', lat: 52.2, lon: 21 }, { [name]: value });
        expectNamed(expectProblem(answer, [400]).errors, name);
      }),
      { numRuns: 60 },
    );
  });

  test('any UTM zone asked for answers 200, or 422 naming utmZone', async () => {
    await fc.assert(
      fc.asyncProperty(aLatLon, fc.integer({ min: 0, max: 60 }), async (point, utmZone) => {
        const answer = await postConvert({ from: 'latlon', ...point }, { to: ['utm'], utmZone });
        if (answer.status === 200) return;
        expectNamed(expectProblem(answer, [422]).errors, 'utmZone');
      }),
      { numRuns: 75 },
    );
  });
});
