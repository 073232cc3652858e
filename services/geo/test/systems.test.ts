import { describe, expect, test } from 'vitest';
import { convert } from '../src/domain/convert.ts';
import { builtInIds, normalizeSystemId, systemIds } from '../src/domain/crs-catalog.ts';
import { PositionError } from '../src/domain/errors.ts';
import { formatDms, parseDms } from '../src/domain/geographic.ts';
import { WEB_MERCATOR_MAX_LAT } from '../src/domain/projected.ts';

const options = { mgrsPrecision: 5, dmsPrecision: 1 };
const all = (lat: number, lon: number) =>
  convert({ from: 'latlon', lat, lon }, builtInIds, options);

// Expected values printed by GeographicLib's GeoConvert (Debian geographiclib-tools):
//   echo "40.446 -79.982" | GeoConvert -u -p 3    →  17n 586328.921 4477758.324
//   echo "40.446 -79.982" | GeoConvert -m         →  17TNE8632877758
//   echo "40.446 -79.982" | GeoConvert -d         →  40d26'45.6"N 079d58'55.2"W
describe('convert from lat/lon', () => {
  test('Pittsburgh, in every built-in system', () => {
    const result = all(40.446, -79.982);
    expect(result.utm).toEqual({
      zone: 17,
      hemisphere: 'N',
      easting: expect.closeTo(586328.921, 3),
      northing: expect.closeTo(4477758.324, 3),
    });
    expect(result.mgrs).toBe('17TNE8632877758');
    expect(result.dms).toBe(`40°26'45.6"N 079°58'55.2"W`);
    expect(result.ecef).toEqual({
      x: expect.closeTo(845560.233209, 6),
      y: expect.closeTo(-4786616.490821, 6),
      z: expect.closeTo(4115798.385523, 6),
    });
  });

  test('near the pole the grid is UPS (zone 0) and Web Mercator is null', () => {
    const result = all(89.9, 10);
    expect(result.utm).toMatchObject({ zone: 0, hemisphere: 'N' });
    expect(result.mgrs).toMatch(/^Z/);
    expect(result.webmercator).toBeNull();
    expect(WEB_MERCATOR_MAX_LAT).toBeCloseTo(85.0511287798, 9);
  });

  test('the Norway and Svalbard exceptions pick zones 32 and 33', () => {
    expect(all(60, 4).utm).toMatchObject({ zone: 32 });
    expect(all(78, 10).utm).toMatchObject({ zone: 33 });
  });

  test('an asked-for zone is used, and refused where it cannot reach', () => {
    const there = convert({ from: 'latlon', lat: 52, lon: 12 }, ['utm'], {
      ...options,
      utmZone: 32,
    });
    expect(there.utm).toMatchObject({ zone: 32 });
    expect(() =>
      convert({ from: 'latlon', lat: 89, lon: 10 }, ['utm'], { ...options, utmZone: 33 }),
    ).toThrow(PositionError);
  });

  test('a bundled EPSG system answers inside its area of use and null outside', () => {
    const london = convert({ from: 'latlon', lat: 51.5, lon: -0.12 }, ['EPSG:27700'], options);
    expect(london['EPSG:27700']).toEqual({ x: expect.any(Number), y: expect.any(Number) });
    const sydney = convert({ from: 'latlon', lat: -33.9, lon: 151.2 }, ['EPSG:27700'], options);
    expect(sydney['EPSG:27700']).toBeNull();
  });
});

describe('DMS', () => {
  test.each([
    `40°26'46"N 79°58'56"W`,
    '40 26 46 N 79 58 56 W',
    '40:26:46, -79:58:56',
    `40d26'46"N, 79d58'56"W`,
    '40 26 46 \u221279 58 56',
  ])('reads %s', (text) => {
    const { lat, lon } = parseDms(text);
    expect(lat).toBeCloseTo(40 + 26 / 60 + 46 / 3600, 9);
    expect(lon).toBeCloseTo(-(79 + 58 / 60 + 56 / 3600), 9);
  });

  test('reads longitude first when the hemispheres say so', () => {
    expect(parseDms(`79d58'56"W 40d26'46"N`)).toEqual({
      lat: expect.closeTo(40.446111, 6),
      lon: expect.closeTo(-79.982222, 6),
    });
  });

  test.each(['', 'north', '91 0 0 N 0 0 0 E', '40 26 46 N'])('refuses %j', (text) => {
    expect(() => parseDms(text)).toThrow(PositionError);
  });

  test('writes what it reads', () => {
    const text = formatDms({ lat: -33.8688, lon: 151.2093 }, 3);
    expect(text).toBe(`33°52'07.680"S 151°12'33.480"E`);
    const back = parseDms(text);
    expect(back.lat).toBeCloseTo(-33.8688, 9);
    expect(back.lon).toBeCloseTo(151.2093, 9);
  });
});

describe('round trips through every system', () => {
  const points = [
    [52.2, 21.0],
    [-33.8688, 151.2093],
    [0, -0.0001],
    [-89.5, 45],
    [51.5, -0.12],
    [46.95, 7.44],
  ] as const;
  test.each(points)('lat %d lon %d', (lat, lon) => {
    const there = convert({ from: 'latlon', lat, lon }, systemIds, {
      ...options,
      mgrsPrecision: 11,
    });
    const back = (position: Parameters<typeof convert>[0]) =>
      convert(position, ['latlon'], options).latlon;
    // 1e-9° is 0.1 mm: the grids and ECEF come back far closer than that.
    const expectNear = (value: unknown) =>
      expect(value).toEqual({ lat: expect.closeTo(lat, 9), lon: expect.closeTo(lon, 9) });
    // proj4's inverse seven-parameter shift and LAEA series are good to about a millimetre.
    const metresAway = (value: unknown) => {
      const back = value as { lat: number; lon: number };
      const north = (back.lat - lat) * 111_320;
      const east = (back.lon - lon) * 111_320 * Math.cos((lat * Math.PI) / 180);
      return Math.hypot(north, east);
    };

    expectNear(back({ from: 'utm', ...(there.utm as object) } as never));
    expectNear(back({ from: 'mgrs', mgrs: there.mgrs as string }));
    expectNear(back({ from: 'ecef', ...(there.ecef as object) } as never));
    if (there.webmercator) {
      expectNear(back({ from: 'webmercator', ...(there.webmercator as object) } as never));
    }
    for (const id of systemIds.filter((s) => s.startsWith('EPSG:'))) {
      const xy = there[id];
      if (xy) {
        const distance = metresAway(
          back({ from: id as `EPSG:${string}`, ...(xy as object) } as never),
        );
        expect(distance, id).toBeLessThan(0.002);
      }
    }
  });
});

describe('system ids', () => {
  test('are case-insensitive and accept the EPSG codes of the built-in systems', () => {
    expect(normalizeSystemId('epsg:27700')).toBe('EPSG:27700');
    expect(normalizeSystemId('EPSG:3857')).toBe('webmercator');
    expect(normalizeSystemId(' UTM ')).toBe('utm');
  });
});

describe('bad positions', () => {
  test('a malformed MGRS reference names the mgrs field', () => {
    expect(() => convert({ from: 'mgrs', mgrs: '33UXQ!!' }, ['latlon'], options)).toThrow(
      expect.objectContaining({ field: 'mgrs', kind: 'invalid' }),
    );
  });

  test('a UTM easting far outside the zone is refused, not projected', () => {
    expect(() =>
      convert(
        { from: 'utm', zone: 33, hemisphere: 'N', easting: 5e7, northing: 1e6 },
        ['latlon'],
        options,
      ),
    ).toThrow(expect.objectContaining({ field: 'easting', kind: 'out_of_range' }));
  });

  test('a projected point outside the area of use is refused', () => {
    expect(() => convert({ from: 'EPSG:2056', x: 9e6, y: 9e6 }, ['latlon'], options)).toThrow(
      expect.objectContaining({ kind: 'out_of_range' }),
    );
  });

  test('the centre of the Earth has no latitude', () => {
    expect(() => convert({ from: 'ecef', x: 0, y: 0, z: 0 }, ['latlon'], options)).toThrow(
      PositionError,
    );
  });
});
