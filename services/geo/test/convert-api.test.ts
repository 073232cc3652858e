import http from 'node:http';
import type { RunningApp } from '@quadrants/service-kit/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { getJson, postJson, startGeo, testLimits } from './app.ts';

let geo: RunningApp;

function conditionalGet(path: string, etag: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    http
      .get(`${geo.baseUrl}${path}`, { headers: { 'if-none-match': etag } }, (response) => {
        response.resume();
        resolve(response.statusCode);
      })
      .on('error', reject);
  });
}
beforeAll(async () => {
  geo = await startGeo();
});
afterAll(() => geo.close());

const pittsburgh = 'from=latlon&lat=40.446&lon=-79.982';

describe('GET /convert', () => {
  test('answers every built-in system by default', async () => {
    const { response, body } = await getJson(`${geo.baseUrl}/convert?${pittsburgh}`);
    expect(response.status).toBe(200);
    expect(Object.keys(body)).toEqual(['latlon', 'dms', 'utm', 'mgrs', 'webmercator', 'ecef']);
    expect(body.mgrs).toBe('17TNE8632877758');
  });

  test('answers only the systems asked for, EPSG codes in any case', async () => {
    const { body } = await getJson(
      `${geo.baseUrl}/convert?from=latlon&lat=51.5&lon=-0.12&to=epsg:27700,MGRS&mgrsPrecision=2`,
    );
    expect(body).toEqual({
      'EPSG:27700': { x: expect.closeTo(530591.166, 2), y: expect.closeTo(179571.065, 2) },
      mgrs: '30UXC9909',
    });
  });

  test('reads DMS, MGRS and projected positions', async () => {
    const dms = await getJson(
      `${geo.baseUrl}/convert?from=dms&position=${encodeURIComponent(`40°26'46"N 79°58'56"W`)}&to=latlon`,
    );
    expect(dms.body.latlon).toEqual({
      lat: expect.closeTo(40.446111, 6),
      lon: expect.closeTo(-79.982222, 6),
    });
    const mgrs = await getJson(`${geo.baseUrl}/convert?from=MGRS&mgrs=17TNE8632877758&to=utm`);
    // GeoConvert reads the centre of the 1 m square.
    expect(mgrs.body.utm).toMatchObject({
      zone: 17,
      easting: expect.closeTo(586328.5, 6),
      northing: expect.closeTo(4477758.5, 6),
    });
    const bng = await getJson(`${geo.baseUrl}/convert?from=EPSG:27700&x=530000&y=180000&to=latlon`);
    expect(bng.response.status).toBe(200);
  });

  test('is cacheable: an ETag, and 304 when the client has it', async () => {
    const first = await fetch(`${geo.baseUrl}/convert?${pittsburgh}`);
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get('cache-control')).toBe('public, max-age=86400');
    // fetch() adds Cache-Control: no-cache to conditional requests, as a browser would on
    // reload; a cache revalidating sends only If-None-Match, as node:http does here.
    expect(await conditionalGet(`/convert?${pittsburgh}`, etag)).toBe(304);
    expect(await conditionalGet(`/convert?${pittsburgh}&to=utm`, etag)).toBe(200);
  });

  test.each([
    ['latitude 91', 'from=latlon&lat=91&lon=0', 400, 'lat'],
    ['a longitude that is not a number', 'from=latlon&lat=1&lon=east', 400, 'lon'],
    ['an empty latitude', 'from=latlon&lat=&lon=0', 400, 'lat'],
    ['an infinite latitude', 'from=latlon&lat=1e999&lon=0', 400, 'lat'],
    ['a missing longitude', 'from=latlon&lat=1', 400, 'lon'],
    ['a malformed MGRS reference', 'from=mgrs&mgrs=99ZZZ', 400, 'mgrs'],
    ['an unknown system', 'from=osgb&x=1', 400, 'from'],
    ['an unknown target', `${pittsburgh}&to=utm,osgb`, 400, 'to.1'],
    ['a zone of 61', 'from=utm&zone=61&hemisphere=N&easting=500000&northing=0', 400, 'zone'],
    ['an unknown parameter', `${pittsburgh}&alt=3`, 400, '(root)'],
    ['a repeated parameter', 'from=latlon&lat=1&lat=2&lon=2', 400, 'lat'],
    [
      'a zone that cannot reach the point',
      'from=latlon&lat=89&lon=0&utmZone=31&to=utm',
      422,
      'utmZone',
    ],
    [
      'an easting outside the zone',
      'from=utm&zone=31&hemisphere=N&easting=5000000&northing=0',
      422,
      'easting',
    ],
    ['a point outside the area of use', 'from=EPSG:2056&x=9000000&y=9000000', 422, 'x'],
  ])('when given %s, answers %i naming %s', async (_case, query, status, field) => {
    const { response, body } = await getJson(`${geo.baseUrl}/convert?${query}`);
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(body.errors).toContainEqual({ field, detail: expect.any(String) });
  });
});

describe('POST /convert', () => {
  test('converts UTM, with options beside the position', async () => {
    const { response, body } = await postJson(`${geo.baseUrl}/convert`, {
      position: {
        from: 'utm',
        zone: 34,
        hemisphere: 'N',
        easting: 500000,
        northing: 5783283.161499562,
      },
      to: ['latlon', 'mgrs'],
      mgrsPrecision: 3,
    });
    expect(response.status).toBe(200);
    expect(body).toEqual({
      latlon: { lat: expect.closeTo(52.2, 9), lon: expect.closeTo(21, 9) },
      mgrs: '34UEC000832',
    });
  });

  test('refuses numbers sent as strings, naming the field inside position', async () => {
    const { response, body } = await postJson(`${geo.baseUrl}/convert`, {
      position: { from: 'latlon', lat: '52.2', lon: 21 },
    });
    expect(response.status).toBe(400);
    expect(body.errors).toContainEqual({ field: 'position.lat', detail: expect.any(String) });
  });

  test('refuses a body that is not an object', async () => {
    const { response } = await postJson(`${geo.baseUrl}/convert`, [1, 2]);
    expect(response.status).toBe(400);
  });
});

describe('POST /convert/batch', () => {
  test('answers each point in place, errors included', async () => {
    const { response, body } = await postJson(`${geo.baseUrl}/convert/batch`, {
      to: ['utm'],
      points: [
        { from: 'latlon', lat: 1, lon: 2 },
        { from: 'mgrs', mgrs: 'nonsense' },
        { from: 'latlon', lat: 100, lon: 0 },
        { from: 'latlon', lat: 89, lon: 0 },
      ],
      utmZone: 31,
    });
    expect(response.status).toBe(200);
    const results = body.results as Record<string, unknown>[];
    expect(results).toHaveLength(4);
    expect(results[0]).toMatchObject({ utm: { zone: 31 } });
    expect(results[1]).toMatchObject({
      error: { status: 400, errors: [{ field: 'points.1.mgrs' }] },
    });
    expect(results[2]).toMatchObject({
      error: { status: 400, errors: [{ field: 'points.2.lat' }] },
    });
    expect(results[3]).toMatchObject({ error: { status: 422, errors: [{ field: 'utmZone' }] } });
  });

  test('with more points than the limit, answers 413 naming the limit', async () => {
    const points = Array.from({ length: testLimits.batchMaxPoints + 1 }, () => ({
      from: 'latlon',
      lat: 0,
      lon: 0,
    }));
    const { response, body } = await postJson(`${geo.baseUrl}/convert/batch`, { points });
    expect(response.status).toBe(413);
    expect(body).toMatchObject({ code: 'batch_too_large', maxPoints: testLimits.batchMaxPoints });
  });
});

describe('POST /convert/stream', () => {
  async function stream(body: string, query = '') {
    const response = await fetch(`${geo.baseUrl}/convert/stream${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    const text = await response.text();
    return {
      response,
      lines: text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    };
  }

  test('answers one line per line, in order; a bad line is answered by its number and the stream goes on', async () => {
    const input = [
      JSON.stringify({ from: 'latlon', lat: 1, lon: 2 }),
      'not json',
      '',
      JSON.stringify({ from: 'latlon', lat: 95, lon: 2 }),
      JSON.stringify({ from: 'latlon', lat: 0, lon: 0, pad: 'x'.repeat(600) }),
      JSON.stringify({ from: 'EPSG:4326', lat: -1, lon: -2 }),
    ].join('\n');
    const { response, lines } = await stream(input, '?to=latlon');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(lines).toEqual([
      { latlon: { lat: 1, lon: 2 } },
      expect.objectContaining({ line: 2, error: expect.objectContaining({ status: 400 }) }),
      expect.objectContaining({ line: 4, error: expect.objectContaining({ status: 400 }) }),
      expect.objectContaining({ line: 5, error: expect.objectContaining({ status: 413 }) }),
      { latlon: { lat: -1, lon: -2 } },
    ]);
  });

  test('refuses bad options before streaming', async () => {
    const { response } = await stream('{}', '?to=nowhere');
    expect(response.status).toBe(400);
  });

  test('refuses a body that is not NDJSON or JSON', async () => {
    const response = await fetch(`${geo.baseUrl}/convert/stream`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: '1,2',
    });
    expect(response.status).toBe(415);
  });
});

describe('geodesics', () => {
  test('GET /geodesic/inverse: distance and azimuths, antipodal points included', async () => {
    const { response, body } = await getJson(
      `${geo.baseUrl}/geodesic/inverse?lat1=0&lon1=0&lat2=0.5&lon2=179.7`,
    );
    expect(response.status).toBe(200);
    // GeodSolve -i -p 6 <<< "0 0 0.5 179.7"  →  15.556882793 164.442513891 19944127.420750
    expect(body).toEqual({
      distance: expect.closeTo(19944127.42075, 5),
      azimuth1: expect.closeTo(15.556882793, 8),
      azimuth2: expect.closeTo(164.442513891, 8),
    });
  });

  test('POST /geodesic/direct: where a distance along an azimuth leads', async () => {
    const { response, body } = await postJson(`${geo.baseUrl}/geodesic/direct`, {
      lat1: 40,
      lon1: -75,
      azimuth1: 45,
      distance: 1_000_000,
    });
    expect(response.status).toBe(200);
    expect(body.lat2).toBeCloseTo(46.024528, 6);
  });

  test('a latitude out of range names lat2', async () => {
    const { response, body } = await getJson(
      `${geo.baseUrl}/geodesic/inverse?lat1=0&lon1=0&lat2=-91&lon2=0`,
    );
    expect(response.status).toBe(400);
    expect(body.errors).toContainEqual({ field: 'lat2', detail: expect.any(String) });
  });
});

describe('GET /crs', () => {
  test('lists every system with its fields, the national grids included', async () => {
    const { body } = await getJson(`${geo.baseUrl}/crs`);
    const ids = (body.systems as { id: string }[]).map((s) => s.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'latlon',
        'utm',
        'mgrs',
        'EPSG:27700',
        'EPSG:2056',
        'EPSG:25832',
        'EPSG:3035',
      ]),
    );
  });
});
