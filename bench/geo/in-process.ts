// UTM conversions per second inside one process, on one core: geo's toUtmUps beside proj4's
// +proj=utm over the same points, and beside a loop that does almost nothing with them.
import { toUtmUps } from '@quadrants/geo/domain/utmups';
import proj4 from 'proj4';
import { pointColumns } from './points.ts';

export interface InProcessFigures {
  points: number;
  rounds: number;
  /** Points per second, the median of the rounds. */
  toUtmUps: number;
  proj4: number;
  floor: number;
  /** toUtmUps against proj4 on the first points, where both chose the same zone. */
  agreement: { points: number; otherZone: number; maxDifferenceMetres: number };
}

type Columns = ReturnType<typeof pointColumns>;
/** Loops over the columns; returns a sum of what it computed, so that none of it is dead code. */
type Contender = (columns: Columns, count: number) => number;

const ROUNDS = 3;
const WARMUP_POINTS = 200_000;
const AGREEMENT_POINTS = 10_000;
/** Both are transverse Mercator series good to nanometres inside a zone; a millimetre is a bug. */
const AGREEMENT_METRES = 1e-3;
const RAD = Math.PI / 180;

// One converter per zone and hemisphere, built before anything is timed.
const WGS84 = '+proj=longlat +datum=WGS84 +no_defs';
const utmConverters = Array.from({ length: 120 }, (_, index) => {
  const zone = Math.floor(index / 2) + 1;
  const south = index % 2 === 1 ? ' +south' : '';
  return proj4(WGS84, `+proj=utm +zone=${zone}${south} +datum=WGS84 +units=m +no_defs`);
});

/** The standard zone rule alone (no Norway or Svalbard exception): what a proj4 user writes. */
const standardZone = (lon: number): number => Math.min(60, Math.floor((lon + 180) / 6) + 1);

function proj4Utm(lat: number, lon: number): number[] {
  // Exists for every zone 1–60 and hemisphere.
  const converter = utmConverters[
    (standardZone(lon) - 1) * 2 + (lat < 0 ? 1 : 0)
  ] as proj4.Converter;
  return converter.forward([lon, lat]);
}

// In each loop i < count ≤ the columns' length, so every read is a number.
const contenders: Record<'toUtmUps' | 'proj4' | 'floor', Contender> = {
  // Both answer an easting and a northing, and both are read.
  toUtmUps({ lat, lon }, count) {
    let sum = 0;
    for (let i = 0; i < count; i++) {
      const { easting, northing } = toUtmUps({ lat: lat[i] as number, lon: lon[i] as number });
      sum += easting + northing;
    }
    return sum;
  },
  proj4({ lat, lon }, count) {
    let sum = 0;
    for (let i = 0; i < count; i++) {
      const [easting = 0, northing = 0] = proj4Utm(lat[i] as number, lon[i] as number);
      sum += easting + northing;
    }
    return sum;
  },
  floor({ lat, lon }, count) {
    let sum = 0;
    for (let i = 0; i < count; i++)
      sum += Math.sin((lat[i] as number) * RAD) * Math.cos((lon[i] as number) * RAD);
    return sum;
  },
};

/** The baseline must do the same job: same eastings and northings, where it picks the same zone. */
function checkAgreement({ lat, lon }: Columns): InProcessFigures['agreement'] {
  const count = Math.min(AGREEMENT_POINTS, lat.length);
  let otherZone = 0;
  let maxDifferenceMetres = 0;
  for (let i = 0; i < count; i++) {
    const la = lat[i] as number;
    const lo = lon[i] as number;
    const ours = toUtmUps({ lat: la, lon: lo });
    if (ours.zone !== standardZone(lo)) {
      otherZone++;
      continue;
    }
    const [easting = Number.NaN, northing = Number.NaN] = proj4Utm(la, lo);
    const difference = Math.max(
      Math.abs(ours.easting - easting),
      Math.abs(ours.northing - northing),
    );
    // Written so that NaN fails too.
    if (!(difference <= AGREEMENT_METRES)) {
      throw new Error(
        `toUtmUps and proj4 disagree by ${difference} m at lat ${la}, lon ${lo}: ` +
          `${JSON.stringify(ours)} against [${easting}, ${northing}]`,
      );
    }
    maxDifferenceMetres = Math.max(maxDifferenceMetres, difference);
  }
  return { points: count, otherZone, maxDifferenceMetres };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/**
 * Warms each loop up, then times each over all the points, in turn, ROUNDS times. Each round
 * starts with the next contender, so that none always runs first (or always inherits the
 * garbage the one before it left to collect).
 */
export function measureInProcess(count: number): InProcessFigures {
  const columns = pointColumns(count);
  const agreement = checkAgreement(columns);
  const names = Object.keys(contenders) as (keyof typeof contenders)[];
  let sink = 0;
  for (const name of names) sink += contenders[name](columns, Math.min(count, WARMUP_POINTS));
  const rates = { toUtmUps: [] as number[], proj4: [] as number[], floor: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = [...names.slice(round % names.length), ...names.slice(0, round % names.length)];
    for (const name of order) {
      const start = performance.now();
      sink += contenders[name](columns, count);
      rates[name].push(count / ((performance.now() - start) / 1000));
    }
  }
  // Read once, so that the sums are live as far as the compiler can tell.
  if (Number.isNaN(sink)) throw new Error('a loop produced NaN');
  return {
    points: count,
    rounds: ROUNDS,
    toUtmUps: median(rates.toUtmUps),
    proj4: median(rates.proj4),
    floor: median(rates.floor),
    agreement,
  };
}
