/**
 * Latitude and longitude to UTM/UPS easting and northing on WGS84: GeographicLib's C++
 * `UTMUPS::Forward` (2.x), with `TransverseMercator` (Krüger's series to 6th order in n) and
 * `PolarStereographic`, written out for this one ellipsoid and without the meridian
 * convergence and scale, which geo never answers. Degrees are reduced by Karney's own
 * JavaScript (`geographiclib-geodesic`'s `Math.sincosd`, `Math.AngDiff`).
 *
 * Why not `geographiclib-mgrs`'s forward, which does the same: its `sincosd` turns degrees into
 * radians before reducing them, so sin(±180°) is ±1.2e-16 rather than 0, and from 80°S to
 * 81.45°S on the antimeridian the UPS easting fell one ulp off 2,000,000 m and MGRS wrote the
 * square to the west. And it is slow: it rebuilds the series coefficients on every call and
 * allocates a complex number per step of the series (docs/decisions/0002-geodesy-libraries.md
 * has the profile). The zone rules, the range checks and every refusal stay the library's.
 */
import geodesicLibrary from 'geographiclib-geodesic';
import geographiclib from 'geographiclib-mgrs';
import type { UtmUps } from './utmups.ts';

const { UTMUPS } = geographiclib;
const degrees = geodesicLibrary.Math;

// WGS84 and the UTM and UPS scales, spelt as GeographicLib's Constants spells them.
const a = 6378137;
const f = 1 / (298257223563 / 1000000000);
const e2 = f * (2 - f);
const es = Math.sqrt(e2);
const n = f / (2 - f);
const utmK0 = 9996 / 10000;
const upsK0 = 994 / 1000;
// GeographicLib's UTMUPS::falseeasting_ and falsenorthing_.
const UTM_FALSE_EASTING = 500_000;
const UTM_SOUTH_SHIFT = 10_000_000;
const UPS_FALSE_EASTING = 2_000_000;

// As Karney's JavaScript does (geographiclib-geodesic's Math.hypot): Math.hypot is slower, and
// nothing here comes near overflow (|tan φ| ≤ 2^104).
const hypot = (x: number, y: number): number => Math.sqrt(x * x + y * y);

// GeographicLib's eatanhe(x, es) for es > 0, as the WGS84 ellipsoid has.
const eatanhe = (x: number): number => es * Math.atanh(es * x);

/** tan χ (conformal latitude) from tan φ, GeographicLib's Math::taupf. */
function taupf(tau: number): number {
  if (!Number.isFinite(tau)) return tau;
  const tau1 = hypot(1, tau);
  const sig = Math.sinh(eatanhe(tau / tau1));
  return hypot(1, sig) * tau - sig * tau1;
}

const tanOverflow = 1 / Number.EPSILON ** 2;

/** GeographicLib's Math::tand: exact at multiples of 45°, finite at ±90°. */
function tand(x: number): number {
  const { s, c } = degrees.sincosd(x);
  return Math.min(Math.max(s / c, -tanOverflow), tanOverflow);
}

const signbit = (x: number): boolean => x < 0 || Object.is(x, -0);

// TransverseMercator's constants for WGS84 at order 6: b1 and the α series, from the same
// polynomials in n as GeographicLib's TransverseMercator.cpp.
const n2 = n * n;
const b1 = (((n2 + 4) * n2 + 64) * n2 + 256) / (256 * (1 + n));
const utmScale = b1 * a * utmK0;
const alpCoefficients = [
  [31564, -66675, 34440, 47250, -100800, 75600, 151200],
  [-1983433, 863232, 748608, -1161216, 524160, 1935360],
  [670412, 406647, -533952, 184464, 725760],
  [6601661, -7732800, 2230245, 7257600],
  [-13675556, 3438171, 7983360],
  [212378941, 319334400],
];
/** alp[1..6]; alp[0] is unused, as in GeographicLib. */
const alp = new Float64Array(7);
let nPower = n;
alpCoefficients.forEach((coefficients, index) => {
  const order = coefficients.length - 2;
  let value = coefficients[0] ?? 0;
  for (let i = 1; i <= order; i++) value = value * n + (coefficients[i] ?? 0);
  alp[index + 1] = (nPower * value) / (coefficients[order + 1] ?? 1);
  nPower *= n;
});
const [, alp1 = 0, alp2 = 0, alp3 = 0, alp4 = 0, alp5 = 0, alp6 = 0] = alp;

/**
 * TransverseMercator::Forward with k0 = 0.9996 in `zone`, `dlon` degrees east of its central
 * meridian (reduced by AngDiff), plus UTM's false easting and northing.
 */
function transverseMercator(zone: number, lat: number, dlon: number): UtmUps {
  const northp = !signbit(lat);
  let latsign = signbit(lat) ? -1 : 1;
  const lonsign = signbit(dlon) ? -1 : 1;
  let lon = dlon * lonsign;
  const phi = lat * latsign;
  const backside = lon > 90;
  if (backside) {
    if (phi === 0) latsign = -1;
    lon = 180 - lon;
  }
  const { s: sphi, c: cphi } = degrees.sincosd(phi);
  const { s: slam, c: clam } = degrees.sincosd(lon);
  let xip: number;
  let etap: number;
  if (phi !== 90) {
    const taup = taupf(sphi / cphi);
    xip = Math.atan2(taup, clam);
    etap = Math.asinh(slam / hypot(taup, clam));
  } else {
    xip = Math.PI / 2;
    etap = 0;
  }
  const c0 = Math.cos(2 * xip);
  const ch0 = Math.cosh(2 * etap);
  const s0 = Math.sin(2 * xip);
  const sh0 = Math.sinh(2 * etap);
  // Clenshaw's sum of alp[j] sin(2j ζ'), with a = 2 cos(2ζ') complex, unrolled in the order
  // GeographicLib's loop runs: y1 = a y0 − y1 + alp[j], y0 = a y1 − y0 + alp[j − 1], from
  // y0 = y1 = 0 at j = 6, so that the first step leaves y1 = alp6.
  const ar = 2 * c0 * ch0;
  const ai = -2 * s0 * sh0;
  let y1r = alp6;
  let y1i = 0;
  let y0r = ar * y1r + alp5;
  let y0i = ai * y1r;
  y1r = ar * y0r - ai * y0i - y1r + alp4;
  y1i = ar * y0i + ai * y0r - y1i;
  y0r = ar * y1r - ai * y1i - y0r + alp3;
  y0i = ar * y1i + ai * y1r - y0i;
  y1r = ar * y0r - ai * y0i - y1r + alp2;
  y1i = ar * y0i + ai * y0r - y1i;
  y0r = ar * y1r - ai * y1i - y0r + alp1;
  y0i = ar * y1i + ai * y1r - y0i;
  // ζ = ζ' + sin(2ζ') y0
  const sr = s0 * ch0;
  const si = c0 * sh0;
  const xi = xip + (sr * y0r - si * y0i);
  const eta = etap + (sr * y0i + si * y0r);
  return {
    zone,
    hemisphere: northp ? 'N' : 'S',
    easting: utmScale * eta * lonsign + UTM_FALSE_EASTING,
    northing: utmScale * (backside ? Math.PI - xi : xi) * latsign + (northp ? 0 : UTM_SOUTH_SHIFT),
  };
}

// PolarStereographic's constants for WGS84 with k0 = 0.994.
const upsC = (1 - f) * Math.exp(eatanhe(1));
const upsScale = (2 * upsK0 * a) / upsC;

/** PolarStereographic::Forward with k0 = 0.994, plus UPS's false easting and northing. */
export function polarStereographic(northp: boolean, lat: number, lon: number): UtmUps {
  const phi = northp ? lat : -lat;
  const taup = taupf(tand(phi));
  let rho = hypot(1, taup) + Math.abs(taup);
  rho = taup >= 0 ? (phi !== 90 ? 1 / rho : 0) : rho;
  rho *= upsScale;
  const { s, c } = degrees.sincosd(lon);
  return {
    zone: 0,
    hemisphere: northp ? 'N' : 'S',
    easting: s * rho + UPS_FALSE_EASTING,
    northing: c * (northp ? -rho : rho) + UPS_FALSE_EASTING,
  };
}

/**
 * The library's own forward, for what this file refuses: it throws GeographicLib's message.
 * At the very edge of a range the two may differ by a nanometre and the library answer; its
 * answer then stands. On the equator 90° from the central meridian, where this file gets NaN,
 * the library's inexact cos 90° puts the point far out of range and it throws.
 */
function refuse(lat: number, lon: number, setzone: number): UtmUps {
  const { zone, northp, x, y } = UTMUPS.forward(lat, lon, setzone);
  if (!Number.isFinite(x) || !Number.isFinite(y)) {
    throw new Error(`Latitude ${lat}, longitude ${lon} has no coordinates in this zone`);
  }
  return { zone, hemisphere: northp ? 'N' : 'S', easting: x, northing: y };
}

/**
 * UTMUPS::Forward: the standard zone (or `setzone`, 1–60), then the projection, then the range
 * check. Whatever GeographicLib would refuse (a latitude beyond ±90°, a point too far from the
 * asked-for zone or out of range) is handed to the library, which refuses it in its own words.
 */
export function utmUpsForward(lat: number, lon: number, setzone: number): UtmUps {
  if (!(Math.abs(lat) <= 90)) return refuse(lat, lon, setzone);
  const zone = UTMUPS.standardZone(lat, lon, setzone);
  let grid: UtmUps;
  if (zone > 0) {
    const dlon = degrees.AngDiff(6 * zone - 183, lon).d;
    if (!(dlon <= 60)) return refuse(lat, lon, setzone);
    grid = transverseMercator(zone, lat, dlon);
  } else if (zone === 0) {
    if (Math.abs(lat) < 70) return refuse(lat, lon, setzone);
    grid = polarStereographic(!signbit(lat), lat, lon);
  } else {
    return refuse(lat, lon, setzone);
  }
  const { easting, northing } = grid;
  // NaN on the equator 90° from the central meridian, where GeoConvert prints nan.
  const finite = Number.isFinite(easting) && Number.isFinite(northing);
  const northp = grid.hemisphere === 'N';
  if (!finite || !UTMUPS.checkCoords(zone > 0, northp, easting, northing, false, false)) {
    return refuse(lat, lon, setzone);
  }
  return grid;
}
