/**
 * GET /crs: every system geo converts, with the input fields a position in it has. The
 * property tests of the other endpoints build their positions from these fields.
 */
import type { RunningApp } from '@quadrants/service-kit/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGeo } from './app.ts';
import { fieldKinds } from './arbitraries.ts';
import { client, expectAnyQueryAnswers200Or304, type GeoClient } from './http.ts';

let geo: RunningApp;
let api: GeoClient;

beforeAll(async () => {
  geo = await startGeo();
  api = client(geo);
});
afterAll(() => geo.close());

describe('GET /crs', () => {
  test('lists every system, the national grids included', async () => {
    const { body } = await api.get('/crs');
    const ids = (body as { systems: { id: string }[] }).systems.map((system) => system.id);
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

  test("lists for each system the fields that the other tests' positions are made of", async () => {
    const { body } = await api.get('/crs');
    const { systems } = body as { systems: { id: string; fields: string[] }[] };
    for (const { id, fields } of systems) expect(fields).toEqual(Object.keys(fieldKinds(id)));
  });

  test('any query and any If-None-Match answer 200 or 304', async () => {
    await expectAnyQueryAnswers200Or304(api, '/crs');
  });
});
