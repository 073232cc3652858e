// Every coordinate system geo knows: the built-in ones by id, the bundled EPSG ones as proj4
// definitions, and the listing that GET /crs serves.

/**
 * The projected and geocentric systems this service bundles, as proj4 definitions.
 *
 * Each definition is PROJ's own (`projinfo EPSG:<code> -o PROJ`). Where the datum is not
 * WGS84, the `+towgs84` parameters are those of the EPSG transformation named in `datumShift`
 * (`projinfo -s <its geographic CRS> -t EPSG:4326 --summary --spatial-test intersects` lists
 * it with its accuracy, quoted here); a datum shift by parameters is only as good as that
 * accuracy, however exactly it is computed. `area` is the EPSG area of use as [west, south, east, north] in
 * degrees: outside it the system answers null.
 */
export interface CrsDefinition {
  id: string;
  name: string;
  proj4: string;
  area: readonly [number, number, number, number];
  datumShift: string;
}

export const crsCatalog: readonly CrsDefinition[] = [
  {
    id: 'EPSG:27700',
    name: 'OSGB36 / British National Grid',
    proj4:
      '+proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000 +ellps=airy ' +
      '+towgs84=446.448,-125.157,542.06,0.15,0.247,0.842,-20.489 +units=m +no_defs',
    area: [-9, 49.75, 2.01, 61.01],
    datumShift: 'EPSG:1314 OSGB36 to WGS 84 (6), Helmert, about 2 m',
  },
  {
    id: 'EPSG:2056',
    name: 'CH1903+ / LV95',
    proj4:
      '+proj=somerc +lat_0=46.9524055555556 +lon_0=7.43958333333333 +k_0=1 +x_0=2600000 ' +
      '+y_0=1200000 +ellps=bessel +towgs84=674.374,15.056,405.346,0,0,0,0 +units=m +no_defs',
    area: [5.96, 45.82, 10.49, 47.81],
    datumShift: 'EPSG:1647 CH1903+ to ETRS89 (1), geocentric translation, 0.1 m; ETRS89 as WGS84',
  },
  {
    id: 'EPSG:25832',
    name: 'ETRS89 / UTM zone 32N',
    proj4: '+proj=utm +zone=32 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
    area: [6, 38.76, 12.01, 84.33],
    datumShift: 'ETRS89 taken as WGS84 (null transformation), about 1 m',
  },
  {
    id: 'EPSG:3035',
    name: 'ETRS89-extended / LAEA Europe',
    proj4:
      '+proj=laea +lat_0=52 +lon_0=10 +x_0=4321000 +y_0=3210000 +ellps=GRS80 ' +
      '+towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
    area: [-35.58, 24.6, 44.83, 84.73],
    datumShift: 'ETRS89 taken as WGS84 (null transformation), about 1 m',
  },
  {
    id: 'EPSG:2154',
    name: 'RGF93 v1 / Lambert-93',
    proj4:
      '+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 +y_0=6600000 ' +
      '+ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
    area: [-9.86, 41.15, 10.38, 51.56],
    datumShift: 'RGF93 taken as WGS84 (null transformation), about 1 m',
  },
  {
    id: 'EPSG:5070',
    name: 'NAD83 / Conus Albers',
    proj4:
      '+proj=aea +lat_0=23 +lon_0=-96 +lat_1=29.5 +lat_2=45.5 +x_0=0 +y_0=0 +ellps=GRS80 ' +
      '+towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
    area: [-124.79, 24.41, -66.91, 49.38],
    datumShift: 'EPSG:1188 NAD83 to WGS 84 (1), null transformation, about 4 m',
  },
  {
    id: 'EPSG:2193',
    name: 'NZGD2000 / New Zealand Transverse Mercator 2000',
    proj4:
      '+proj=tmerc +lat_0=0 +lon_0=173 +k=0.9996 +x_0=1600000 +y_0=10000000 +ellps=GRS80 ' +
      '+towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
    area: [166.37, -47.33, 178.63, -34.1],
    datumShift: 'EPSG:1565 NZGD2000 to WGS 84 (1), null transformation, about 1 m',
  },
  {
    id: 'EPSG:3031',
    name: 'WGS 84 / Antarctic Polar Stereographic',
    proj4:
      '+proj=stere +lat_0=-90 +lat_ts=-71 +lon_0=0 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs',
    area: [-180, -90, 180, -60],
    datumShift: 'none: WGS 84',
  },
  {
    id: 'EPSG:3413',
    name: 'WGS 84 / NSIDC Sea Ice Polar Stereographic North',
    proj4:
      '+proj=stere +lat_0=90 +lat_ts=70 +lon_0=-45 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs',
    area: [-180, 60, 180, 90],
    datumShift: 'none: WGS 84',
  },
];

/** The systems every answer includes unless the caller asks for others. */
export const builtInIds = ['latlon', 'dms', 'utm', 'mgrs', 'webmercator', 'ecef'] as const;
export type BuiltInId = (typeof builtInIds)[number];
export type SystemId = BuiltInId | string;

export const systemIds: readonly string[] = [...builtInIds, ...crsCatalog.map((crs) => crs.id)];

// EPSG codes of the built-in systems, accepted wherever a system id is.
const aliases: Record<string, BuiltInId> = {
  'EPSG:4326': 'latlon',
  'EPSG:3857': 'webmercator',
  'EPSG:4978': 'ecef',
};

/** `epsg:27700` → `EPSG:27700`, `EPSG:3857` → `webmercator`; unknown ids come back as given. */
export function normalizeSystemId(id: string): string {
  const trimmed = id.trim();
  const upper = trimmed.toUpperCase();
  if (upper.startsWith('EPSG:')) return aliases[upper] ?? upper;
  return trimmed.toLowerCase();
}

export interface SystemInfo {
  id: string;
  name: string;
  kind: 'geographic' | 'grid' | 'projected' | 'geocentric';
  /** The input fields besides `from`. */
  fields: readonly string[];
  proj4?: string;
  area?: readonly [number, number, number, number];
  datumShift?: string;
}

/** What GET /crs lists. */
export const systems: readonly SystemInfo[] = [
  {
    id: 'latlon',
    name: 'WGS 84 latitude/longitude, decimal degrees (EPSG:4326)',
    kind: 'geographic',
    fields: ['lat', 'lon'],
  },
  {
    id: 'dms',
    name: 'WGS 84 latitude/longitude, degrees minutes seconds',
    kind: 'geographic',
    fields: ['position'],
  },
  {
    id: 'utm',
    name: 'UTM, or UPS in zone 0 (WGS 84)',
    kind: 'grid',
    fields: ['zone', 'hemisphere', 'easting', 'northing'],
  },
  { id: 'mgrs', name: 'Military Grid Reference System (WGS 84)', kind: 'grid', fields: ['mgrs'] },
  {
    id: 'webmercator',
    name: 'WGS 84 / Pseudo-Mercator (EPSG:3857)',
    kind: 'projected',
    fields: ['x', 'y'],
  },
  {
    id: 'ecef',
    name: 'WGS 84 Earth-centred, Earth-fixed (EPSG:4978)',
    kind: 'geocentric',
    fields: ['x', 'y', 'z'],
  },
  ...crsCatalog.map(
    (crs): SystemInfo => ({
      id: crs.id,
      name: crs.name,
      kind: 'projected',
      fields: ['x', 'y'],
      proj4: crs.proj4,
      area: crs.area,
      datumShift: crs.datumShift,
    }),
  ),
];
