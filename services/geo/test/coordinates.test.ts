import { describe, expect, test } from 'vitest';
import { convert, WEB_MERCATOR_MAX_LAT } from '../src/domain/coordinates.ts';

const options = { mgrsPrecision: 5 };

// Expected values printed by GeographicLib's GeoConvert (Debian geographiclib-tools):
//   echo "40.446 -79.982" | GeoConvert -u -p 3    →  17n 586328.921 4477758.324
//   echo "40.446 -79.982" | GeoConvert -m         →  17TNE8632877758
describe('convert from lat/lon', () => {
  test('Pittsburgh lands in UTM 17N and MGRS 17TNE', () => {
    const result = convert({ from: 'latlon', lat: 40.446, lon: -79.982 }, options);
    expect(result.utm).toEqual({
      zone: 17,
      hemisphere: 'N',
      easting: expect.closeTo(586328.921, 3),
      northing: expect.closeTo(4477758.324, 3),
    });
    expect(result.mgrs).toBe('17TNE8632877758');
  });

  test('Web Mercator of the origin is the origin, and of 180°E is half the world', () => {
    expect(convert({ from: 'latlon', lat: 0, lon: 0 }, options).webMercator).toEqual({
      x: 0,
      y: expect.closeTo(0, 6),
    });
    const edge = convert({ from: 'latlon', lat: 0, lon: 180 }, options).webMercator;
    expect(edge?.x).toBeCloseTo(20037508.342789244, 6);
  });

  test('near the pole the answer is UPS (zone 0) and Web Mercator is null', () => {
    const result = convert({ from: 'latlon', lat: 89.9, lon: 10 }, options);
    expect(result.utm.zone).toBe(0);
    expect(result.mgrs).toMatch(/^Z/);
    expect(result.webMercator).toBeNull();
    expect(WEB_MERCATOR_MAX_LAT).toBeCloseTo(85.0511287798, 9);
  });

  test('the MGRS precision sets the number of digits', () => {
    const at = (mgrsPrecision: number) =>
      convert({ from: 'latlon', lat: 40.446, lon: -79.982 }, { mgrsPrecision }).mgrs;
    expect(at(0)).toBe('17TNE');
    expect(at(2)).toBe('17TNE8677');
  });
});

describe('round trips', () => {
  test.each([
    [52.2, 21.0],
    [-33.8688, 151.2093],
    [0, -0.0001],
    [-89.5, 45],
  ])('lat %d lon %d survives UTM/UPS and Web Mercator and back', (lat, lon) => {
    const there = convert({ from: 'latlon', lat, lon }, options);
    const viaUtm = convert({ from: 'utm', ...there.utm }, options);
    expect(viaUtm.latlon.lat).toBeCloseTo(lat, 9);
    expect(viaUtm.latlon.lon).toBeCloseTo(lon, 9);
    if (there.webMercator) {
      const viaMercator = convert({ from: 'webmercator', ...there.webMercator }, options);
      expect(viaMercator.latlon.lat).toBeCloseTo(lat, 9);
      expect(viaMercator.latlon.lon).toBeCloseTo(lon, 9);
    }
  });
});

describe('bad positions', () => {
  test('a malformed MGRS reference names the mgrs field', () => {
    expect(() => convert({ from: 'mgrs', mgrs: '33UXQ!!' }, options)).toThrow(/mgrs/);
  });

  test('a UTM easting far outside the zone is refused, not projected', () => {
    expect(() =>
      convert({ from: 'utm', zone: 33, hemisphere: 'N', easting: 5e7, northing: 1e6 }, options),
    ).toThrow(/Easting/);
  });
});
