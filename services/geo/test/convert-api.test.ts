import type { RunningApp } from '@quadrants/service-kit/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { getJson, postJson, startGeo } from './app.ts';

let geo: RunningApp;
beforeAll(async () => {
  geo = await startGeo();
});
afterAll(() => geo.close());

describe('GET /convert', () => {
  test('converts lat/lon to every system, cacheably', async () => {
    const { response, body } = await getJson(
      `${geo.baseUrl}/convert?from=latlon&lat=52.2&lon=21&precision=3`,
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toContain('max-age=86400');
    expect(body).toMatchObject({
      latlon: { lat: 52.2, lon: 21 },
      utm: { zone: 34, hemisphere: 'N', easting: expect.closeTo(500000, 6) },
      mgrs: '34UEC000832',
    });
  });

  test('reads an MGRS reference', async () => {
    const { response, body } = await getJson(`${geo.baseUrl}/convert?from=mgrs&mgrs=34UEC000832`);
    expect(response.status).toBe(200);
    expect(body.latlon).toMatchObject({ lat: expect.closeTo(52.2, 2), lon: expect.closeTo(21, 2) });
  });

  test.each([
    ['latitude 91', 'from=latlon&lat=91&lon=0', 'lat'],
    ['a longitude that is not a number', 'from=latlon&lat=1&lon=east', 'lon'],
    ['an empty latitude', 'from=latlon&lat=&lon=0', 'lat'],
    ['an infinite latitude', 'from=latlon&lat=1e999&lon=0', 'lat'],
    ['a missing longitude', 'from=latlon&lat=1', 'lon'],
    ['a malformed MGRS reference', 'from=mgrs&mgrs=99ZZZ', 'mgrs'],
    ['an unknown system', 'from=osgb&x=1', 'from'],
    ['a zone of 61', 'from=utm&zone=61&hemisphere=N&easting=500000&northing=0', 'zone'],
    ['an unknown parameter', 'from=latlon&lat=1&lon=2&alt=3', '(root)'],
    ['a repeated parameter', 'from=latlon&lat=1&lat=2&lon=2', 'lat'],
  ])('when given %s, answers 400 naming %s', async (_case, query, field) => {
    const { response, body } = await getJson(`${geo.baseUrl}/convert?${query}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(body.errors).toContainEqual({ field, detail: expect.any(String) });
  });
});

describe('POST /convert', () => {
  test('converts UTM to every system', async () => {
    const { response, body } = await postJson(`${geo.baseUrl}/convert`, {
      from: 'utm',
      zone: 34,
      hemisphere: 'N',
      easting: 500000,
      northing: 5783283.161499562,
    });
    expect(response.status).toBe(200);
    expect(body.latlon).toEqual({ lat: expect.closeTo(52.2, 9), lon: expect.closeTo(21, 9) });
    expect(body.mgrs).toBe('34UEC0000083283');
  });

  test('refuses numbers sent as strings in a JSON body', async () => {
    const { response, body } = await postJson(`${geo.baseUrl}/convert`, {
      from: 'latlon',
      lat: '52.2',
      lon: 21,
    });
    expect(response.status).toBe(400);
    expect(body.errors).toContainEqual({ field: 'lat', detail: expect.any(String) });
  });

  test('refuses a body that is not an object', async () => {
    const { response } = await postJson(`${geo.baseUrl}/convert`, [1, 2]);
    expect(response.status).toBe(400);
  });
});
