/**
 * GET /convert: one position and the output options in the query string, answered in the
 * systems asked for. Examples first, then properties over every system GET /crs lists.
 *
 * Each property runs a bounded number of random cases. When one fails, fast-check prints the
 * shrunk counterexample and the seed; `fc.assert(..., { seed, path })` replays it.
 */
import type { RunningApp } from '@quadrants/service-kit/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGeo } from './app.ts';
import {
  aLatLon,
  anUnknownKey,
  aSystemName,
  aTargetList,
  type Fields,
  hostileString,
} from './arbitraries.ts';
import {
  client,
  expectNamed,
  expectNamedAnywhere,
  expectProblem,
  expectUnknownKey,
  type GeoClient,
  query,
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

/** GET /convert with the position's fields and the options side by side in the query. */
function getConvert(position: Fields, options: Fields = {}) {
  return api.get(`/convert?${query({ ...position, ...options })}`);
}

const pittsburgh = 'from=latlon&lat=40.446&lon=-79.982';

describe('GET /convert', () => {
  test('answers every built-in system by default', async () => {
    const { status, body } = await api.get(`/convert?${pittsburgh}`);
    expect(status).toBe(200);
    expect(Object.keys(body as Fields)).toEqual([
      'latlon',
      'dms',
      'utm',
      'mgrs',
      'webmercator',
      'ecef',
    ]);
    expect((body as Fields).mgrs).toBe('17TNE8632877758');
  });

  test('answers only the systems asked for, EPSG codes in any case', async () => {
    const { body } = await api.get(
      '/convert?from=latlon&lat=51.5&lon=-0.12&to=epsg:27700,MGRS&mgrsPrecision=2',
    );
    expect(body).toEqual({
      'EPSG:27700': { x: expect.closeTo(530591.166, 2), y: expect.closeTo(179571.065, 2) },
      mgrs: '30UXC9909',
    });
  });

  test('reads DMS, MGRS and projected positions', async () => {
    const dms = await api.get(
      `/convert?from=dms&position=${encodeURIComponent(`40°26'46"N 79°58'56"W`)}&to=latlon`,
    );
    expect((dms.body as Fields).latlon).toEqual({
      lat: expect.closeTo(40.446111, 6),
      lon: expect.closeTo(-79.982222, 6),
    });
    const mgrs = await api.get('/convert?from=MGRS&mgrs=17TNE8632877758&to=utm');
    // GeoConvert reads the centre of the 1 m square.
    expect((mgrs.body as Fields).utm).toMatchObject({
      zone: 17,
      easting: expect.closeTo(586328.5, 6),
      northing: expect.closeTo(4477758.5, 6),
    });
    const bng = await api.get('/convert?from=EPSG:27700&x=530000&y=180000&to=latlon');
    expect(bng.status).toBe(200);
  });

  test('is cacheable: an ETag, and 304 when the client has it', async () => {
    const first = await api.get(`/convert?${pittsburgh}`);
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get('cache-control')).toBe('public, max-age=86400');
    expect(await api.revalidate(`/convert?${pittsburgh}`, etag)).toBe(304);
    expect(await api.revalidate(`/convert?${pittsburgh}&to=utm`, etag)).toBe(200);
  });

  test.each([
    { given: 'latitude 91', query: 'from=latlon&lat=91&lon=0', status: 400, field: 'lat' },
    {
      given: 'a longitude that is not a number',
      query: 'from=latlon&lat=1&lon=east',
      status: 400,
      field: 'lon',
    },
    { given: 'an empty latitude', query: 'from=latlon&lat=&lon=0', status: 400, field: 'lat' },
    {
      given: 'an infinite latitude',
      query: 'from=latlon&lat=1e999&lon=0',
      status: 400,
      field: 'lat',
    },
    { given: 'a missing longitude', query: 'from=latlon&lat=1', status: 400, field: 'lon' },
    {
      given: 'a malformed MGRS reference',
      query: 'from=mgrs&mgrs=99ZZZ',
      status: 400,
      field: 'mgrs',
    },
    { given: 'an unknown system', query: 'from=osgb&x=1', status: 400, field: 'from' },
    { given: 'an unknown target', query: `${pittsburgh}&to=utm,osgb`, status: 400, field: 'to.1' },
    {
      given: 'a zone of 61',
      query: 'from=utm&zone=61&hemisphere=N&easting=500000&northing=0',
      status: 400,
      field: 'zone',
    },
    { given: 'an unknown parameter', query: `${pittsburgh}&alt=3`, status: 400, field: '(root)' },
    {
      given: 'a repeated parameter',
      query: 'from=latlon&lat=1&lat=2&lon=2',
      status: 400,
      field: 'lat',
    },
    {
      given: 'a zone that cannot reach the point',
      query: 'from=latlon&lat=89&lon=0&utmZone=31&to=utm',
      status: 422,
      field: 'utmZone',
    },
    {
      given: 'an easting outside the zone',
      query: 'from=utm&zone=31&hemisphere=N&easting=5000000&northing=0',
      status: 422,
      field: 'easting',
    },
    {
      given: 'a point outside the area of use',
      query: 'from=EPSG:2056&x=9000000&y=9000000',
      status: 422,
      field: 'x',
    },
  ])('when given $given, answers $status naming $field', async ({ query, status, field }) => {
    const answer = await api.get(`/convert?${query}`);
    const problem = expectProblem(answer, [status]);
    expect(problem.errors).toContainEqual({ field, detail: expect.any(String) });
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
          const written = await api.post('/convert', {
            position: { from: 'latlon', ...point },
            to: known.ids,
            mgrsPrecision,
            dmsPrecision,
          });
          expect(written.status, written.text).toBe(200);
          const conversion = written.body as Fields;
          expect(Object.keys(conversion)).toEqual(known.ids);
          for (const [index, id] of known.ids.entries()) {
            const value = conversion[id];
            if (value === null) continue;
            const position = { ...asPosition(id, value), from: names[index] ?? id };
            const answer = await getConvert(position, { to: targets.names.join(',') });
            expect(answer.status, `${JSON.stringify(position)} → ${answer.text}`).toBe(200);
            expect(Object.keys(answer.body as Fields).sort()).toEqual([...targets.ids].sort());
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  test('when any one field of a position holds a value it refuses, answers 400 naming that field', async () => {
    await fc.assert(
      fc.asyncProperty(aRefusedPosition(known, 'query'), async ({ field, position }) => {
        expectNamed(expectProblem(await getConvert(position), [400]).errors, field);
      }),
      { numRuns: 150 },
    );
  });

  test.each([
    ['dms', 'position'],
    ['mgrs', 'mgrs'],
  ])('any text as a %s position answers 200, or 400/422 naming %s', async (system, field) => {
    await fc.assert(
      fc.asyncProperty(aPositionText(system), async (text) => {
        const answer = await getConvert({ from: system, [field]: text });
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
          const answer = await getConvert({ from: id, ...known.examples.get(id), [field]: value });
          if (answer.status === 200) return;
          expectNamedAnywhere(expectProblem(answer, [422]).errors, field);
        }),
        { numRuns: 75 },
      );
    },
  );

  test('an unknown parameter answers 400 naming the query as the object that holds it', async () => {
    const aCase = fc.constantFrom(...known.examples.entries()).chain(([id, fields]) =>
      fc.record({
        id: fc.constant(id),
        key: anUnknownKey(['from', ...Object.keys(fields), ...OPTION_NAMES]),
        value: fc.oneof(hostileString, fc.constant('1')),
      }),
    );
    await fc.assert(
      fc.asyncProperty(aCase, async ({ id, key, value }) => {
        const answer = await getConvert({ from: id, ...known.examples.get(id), [key]: value });
        expectUnknownKey(expectProblem(answer, [400]), '(root)', key);
      }),
      // The one key a plain object does not keep as its own.
      { numRuns: 100, examples: [[{ id: 'latlon', key: '__proto__', value: '1' }]] },
    );
  });

  test('raw percent-encoding in a query value answers 200 or 400 naming the field', async () => {
    const aRaw = fc.string({
      unit: fc.constantFrom(...'%0123456789ABCDEFabcdef.+-eE= '),
      maxLength: 24,
    });
    await fc.assert(
      fc.asyncProperty(aRaw, async (raw) => {
        const answer = await api.get(`/convert?from=latlon&lon=21&lat=${raw}`);
        if (answer.status === 200) return;
        expectNamed(expectProblem(answer, [400, 422]).errors, 'lat');
      }),
      { numRuns: 150 },
    );
  });

  test('a refused output option answers 400 naming the option', async () => {
    await fc.assert(
      fc.asyncProperty(aRefusedOptionOf(known, 'query'), async ({ name, value }) => {
        const answer = await getConvert({ from: 'latlon', lat: 52.2, lon: 21 }, { [name]: value });
        expectNamed(expectProblem(answer, [400]).errors, name);
      }),
      { numRuns: 60 },
    );
  });

  test('any UTM zone asked for answers 200, or 422 naming utmZone', async () => {
    await fc.assert(
      fc.asyncProperty(aLatLon, fc.integer({ min: 0, max: 60 }), async (point, utmZone) => {
        const answer = await getConvert({ from: 'latlon', ...point }, { to: 'utm', utmZone });
        if (answer.status === 200) return;
        expectNamed(expectProblem(answer, [422]).errors, 'utmZone');
      }),
      { numRuns: 75 },
    );
  });
});
