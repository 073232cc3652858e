// uploads: MiB/s through POST /uploads for 1 MiB, 100 MiB and 1 GiB files, beside a raw
// fs.createWriteStream (fsynced) of the same kind of bytes to the same filesystem in the same
// run, and the service's peak RSS for each size, which must not grow with the file. Not a test:
// it prints figures and ratios and exits 0 whatever they are; a failed set-up, a failed upload
// or an answer that does not match the bytes sent (id, size, type, the object on disk) exits 1.
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, stat, statfs, unlink, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median, positiveIntFromEnv } from '../lib/load.ts';
import { type ServerProcess, spawnService } from '../lib/spawn-server.ts';
import { mib, printTable } from '../lib/table.ts';
import { fileBytes, sha256 } from './bytes.ts';
import { rawWrite } from './raw-write.ts';
import { upload } from './upload.ts';

/** From the issue: for large files the service keeps at least 0.7 of the raw write's MiB/s. */
const AIM = 0.7;
/** "Large" for the aim: a file this big or bigger. */
const LARGE_BYTES = 100 * 2 ** 20;
/**
 * "Flat": the largest size's peak RSS is less than this above the smallest's. A service that
 * held a whole file in memory would add at least the file (100 MiB, 1 GiB) to its peak.
 */
const FLAT_BYTES = 20 * 2 ** 20;
/** A size is run only with this many times its bytes free: its raw copy, its .part, its object. */
const FREE_FACTOR = 4;
const WARMUP_BYTES = 2 ** 20;
const WARMUP_UPLOADS = 3;
const TYPE = 'application/octet-stream';

const UNITS = { b: 1, kb: 2 ** 10, mb: 2 ** 20, gb: 2 ** 30 } as const;

interface SizeSpec {
  bytes: number;
  repetitions: number;
}

/** `1mb:20,100mb:3,1gb:1`: each file size (powers of 1024, as the service counts) and how many. */
function sizesFromEnv(name: string, fallback: string): SizeSpec[] {
  const raw = process.env[name]?.trim() || fallback;
  return raw.split(',').map((entry) => {
    const match = /^(\d+)(b|kb|mb|gb)(?::(\d+))?$/.exec(entry.trim().toLowerCase());
    const bytes = match ? Number(match[1]) * UNITS[match[2] as keyof typeof UNITS] : 0;
    const repetitions = Number(match?.[3] ?? 1);
    if (!match || bytes < 1 || repetitions < 1) {
      throw new Error(`${name}: expected sizes such as 1mb:20,100mb:3,1gb:1, got ${entry}`);
    }
    return { bytes, repetitions };
  });
}

const settings = {
  sizes: sizesFromEnv('BENCH_SIZES', '1mb:20,100mb:3,1gb:1'),
  /** The directory under which the bench makes its own: the disk both sides write. */
  dir: resolve(process.env.BENCH_UPLOADS_DIR?.trim() || tmpdir()),
  timeoutSeconds: positiveIntFromEnv('BENCH_TIMEOUT', 900),
};
const logLevel = process.env.LOG_LEVEL || 'warn';
/** Node flags for the service only, such as `--max-old-space-size=256`. */
const serviceNodeFlags = (process.env.BENCH_SERVICE_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
const uploadsMain = new URL('../../services/uploads/src/main.ts', import.meta.url);
const signal = AbortSignal.timeout(settings.timeoutSeconds * 1000);

const label = (bytes: number): string =>
  bytes >= 2 ** 30 && bytes % 2 ** 30 === 0
    ? `${bytes / 2 ** 30} GiB`
    : bytes >= 2 ** 20 && bytes % 2 ** 20 === 0
      ? `${bytes / 2 ** 20} MiB`
      : `${bytes} B`;
const mibPerSecond = (bytes: number, seconds: number): number => bytes / 2 ** 20 / seconds;

async function freeBytes(dir: string): Promise<number> {
  const fs = await statfs(dir);
  return fs.bavail * fs.bsize;
}

interface SizeFigures {
  size: string;
  bytes: number;
  repetitions: number;
  skipped: string | null;
  raw: { seconds: number[]; mibPerSecond: number | null };
  service: { seconds: number[]; mibPerSecond: number | null };
  /** service MiB/s ÷ raw MiB/s for each pair of one raw write and one upload. */
  pairRatios: number[];
  ratio: number | null;
  serviceCpuSecondsPerGiB: number | null;
  rssAfterWarmupBytes: number | null;
  peakRssBytes: number | null;
  /** Files left in the service's tmp/ once its uploads had answered: should be none. */
  leftoverTmpFiles: number;
}

const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  if (!ok) failures.push(what);
};

/** One upload, checked against what was sent, then its object removed to keep the disk free. */
async function uploadOnce(
  service: ServerProcess,
  agent: Agent,
  uploadsDir: string,
  bytes: number,
  name: string,
): Promise<number> {
  const file = fileBytes(bytes);
  const expected = sha256(file);
  const answer = await upload(service.baseUrl, file, name, agent, signal);
  check(answer.status === 201, `${name}: answered ${answer.status}, not 201 (new bytes)`);
  check(answer.id === expected, `${name}: id ${answer.id}, but the bytes' SHA-256 is ${expected}`);
  check(answer.size === bytes, `${name}: size ${answer.size}, but ${bytes} bytes were sent`);
  check(answer.type === TYPE, `${name}: type ${answer.type}, not ${TYPE}`);
  const object = join(uploadsDir, 'objects', expected.slice(0, 2), expected);
  const stored = await stat(object).catch(() => null);
  check(
    stored?.size === bytes,
    `${name}: objects/…/${expected} holds ${stored?.size ?? 'nothing'}`,
  );
  const meta = await stat(`${object}.json`).catch(() => null);
  check(meta !== null, `${name}: no objects/…/${expected}.json beside the object`);
  await Promise.all([unlink(object).catch(() => {}), unlink(`${object}.json`).catch(() => {})]);
  return answer.seconds;
}

async function measureSize(spec: SizeSpec, root: string, maxBytes: number): Promise<SizeFigures> {
  const size = label(spec.bytes);
  const figures: SizeFigures = {
    size,
    bytes: spec.bytes,
    repetitions: spec.repetitions,
    skipped: null,
    raw: { seconds: [], mibPerSecond: null },
    service: { seconds: [], mibPerSecond: null },
    pairRatios: [],
    ratio: null,
    serviceCpuSecondsPerGiB: null,
    rssAfterWarmupBytes: null,
    peakRssBytes: null,
    leftoverTmpFiles: 0,
  };
  const free = await freeBytes(root);
  if (free < FREE_FACTOR * spec.bytes) {
    figures.skipped = `${(free / 2 ** 30).toFixed(1)} GiB free, ${FREE_FACTOR} × ${size} needed`;
    console.log(`${size}: skipped, ${figures.skipped}`);
    return figures;
  }
  // A service of its own for each size, so that its peak RSS (VmHWM) is this size's alone.
  const uploadsDir = join(root, `service-${spec.bytes}`);
  const rawDir = join(root, 'raw');
  await mkdir(uploadsDir, { recursive: true });
  await mkdir(rawDir, { recursive: true });
  const service = await spawnService(
    'uploads service',
    uploadsMain,
    {
      UPLOADS_DIR: uploadsDir,
      UPLOADS_INSTANCE: 'bench',
      // In MiB: a plain number of bytes is refused by the service's config (NaN) as it stands.
      UPLOADS_MAX_FILE_SIZE: `${Math.ceil((2 * maxBytes) / 2 ** 20)}mb`,
      UPLOADS_ALLOWED_TYPES: TYPE,
      UPLOADS_REQUEST_TIMEOUT_MS: String(Math.min(settings.timeoutSeconds * 1000, 86_400_000)),
      LOG_LEVEL: logLevel,
    },
    serviceNodeFlags,
  );
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    // Compiles both paths (and opens the keep-alive connection) before anything is timed.
    for (let i = 0; i < WARMUP_UPLOADS; i++) {
      await uploadOnce(service, agent, uploadsDir, WARMUP_BYTES, `warm-up-${i}.bin`);
    }
    await rawWrite(fileBytes(WARMUP_BYTES), rawDir, signal);
    figures.rssAfterWarmupBytes = service.rssBytes();
    const cpuBefore = service.cpuSeconds();

    // One raw write and one upload per repetition, the order turned each time, so that
    // neither side always follows the other's deletes and flushes.
    for (let rep = 0; rep < spec.repetitions; rep++) {
      let rawSeconds = 0;
      let serviceSeconds = 0;
      for (const side of rep % 2 === 0 ? ['raw', 'service'] : ['service', 'raw']) {
        if (side === 'raw') {
          rawSeconds = await rawWrite(fileBytes(spec.bytes), rawDir, signal);
        } else {
          const name = `bench-${spec.bytes}-${rep}.bin`;
          serviceSeconds = await uploadOnce(service, agent, uploadsDir, spec.bytes, name);
        }
      }
      figures.raw.seconds.push(rawSeconds);
      figures.service.seconds.push(serviceSeconds);
      figures.pairRatios.push(rawSeconds / serviceSeconds);
    }

    const cpuAfter = service.cpuSeconds();
    const total = (seconds: number[]) => seconds.reduce((a, b) => a + b, 0);
    const bytes = spec.bytes * spec.repetitions;
    figures.raw.mibPerSecond = mibPerSecond(bytes, total(figures.raw.seconds));
    figures.service.mibPerSecond = mibPerSecond(bytes, total(figures.service.seconds));
    figures.ratio = median(figures.pairRatios);
    figures.serviceCpuSecondsPerGiB =
      cpuBefore === null || cpuAfter === null ? null : (cpuAfter - cpuBefore) / (bytes / 2 ** 30);
    figures.peakRssBytes = service.peakRssBytes();
    figures.leftoverTmpFiles = (await readdir(join(uploadsDir, 'tmp')).catch(() => [])).length;
    check(
      figures.leftoverTmpFiles === 0,
      `${size}: ${figures.leftoverTmpFiles} files left in tmp/ after every upload had answered`,
    );
  } finally {
    agent.destroy();
    await service.stop();
  }
  return figures;
}

const root = await mkdtemp(join(settings.dir, 'quadrants-uploads-bench-'));
// Whatever happens (an error, Ctrl-C), the bench's files do not outlive it.
process.once('exit', () => rmSync(root, { recursive: true, force: true }));
process.once('SIGINT', () => process.exit(130));

const maxBytes = Math.max(...settings.sizes.map((spec) => spec.bytes));
console.log(
  'uploads: POST /uploads (multipart/form-data, one file part, application/octet-stream) ' +
    'beside fs.createWriteStream of the same kind of bytes, fsynced, on the same filesystem\n' +
    `${root}: ${((await freeBytes(root)) / 2 ** 30).toFixed(1)} GiB free; sizes ${settings.sizes
      .map((spec) => `${label(spec.bytes)} × ${spec.repetitions}`)
      .join(', ')}; one upload at a time; a fresh service per size, logging at ${logLevel}\n` +
    `${availableParallelism()} CPUs, load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}, node ${process.version}`,
);

const results: SizeFigures[] = [];
let failed = false;
try {
  for (const spec of settings.sizes) results.push(await measureSize(spec, root, maxBytes));
} catch (error) {
  failed = true;
  console.error(`FAILED: ${(error as Error).stack ?? error}`);
}

const measured = results.filter((r) => r.skipped === null);
const fixed = (value: number | null, digits: number) =>
  value === null ? 'n/a' : value.toFixed(digits);
const range = (values: number[]) =>
  values.length === 0
    ? 'n/a'
    : `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;
console.log('');
printTable(
  [
    'file',
    'uploads',
    'raw MiB/s',
    'service MiB/s',
    'service / raw',
    'pairs',
    'raw ms (median)',
    'service ms (median)',
  ],
  results.map((r) =>
    r.skipped !== null
      ? [r.size, '0', 'skipped', '', '', '', '', '']
      : [
          r.size,
          String(r.repetitions),
          fixed(r.raw.mibPerSecond, 0),
          fixed(r.service.mibPerSecond, 0),
          fixed(r.ratio, 2),
          range(r.pairRatios),
          (median(r.raw.seconds) * 1000).toFixed(1),
          (median(r.service.seconds) * 1000).toFixed(1),
        ],
  ),
);
console.log('');
printTable(
  ['file', 'service RSS after warm-up (MiB)', 'peak RSS (MiB)', 'service CPU s/GiB'],
  measured.map((r) => [
    r.size,
    mib(r.rssAfterWarmupBytes),
    mib(r.peakRssBytes),
    fixed(r.serviceCpuSecondsPerGiB, 2),
  ]),
);

const large = measured.filter((r) => r.bytes >= LARGE_BYTES && r.ratio !== null);
const aimMet = large.length > 0 && large.every((r) => (r.ratio ?? 0) >= AIM);
const [smallest, largest] = [measured.at(0), measured.at(-1)];
const growthBytes =
  smallest?.peakRssBytes != null && largest?.peakRssBytes != null && smallest !== largest
    ? largest.peakRssBytes - smallest.peakRssBytes
    : null;
console.log(
  '\nservice / raw is the median over pairs (one raw write and one upload each); MiB/s are ' +
    'total bytes ÷ total seconds' +
    `\naim: for files of ${label(LARGE_BYTES)} or more the service keeps ≥ ${AIM} of the raw ` +
    `write's MiB/s: ${large.length === 0 ? 'not measured' : aimMet ? 'met' : 'NOT met'}` +
    `\npeak RSS, ${largest?.size ?? '?'} less ${smallest?.size ?? '?'}: ` +
    (growthBytes === null
      ? 'n/a'
      : `${mib(growthBytes)} MiB: ${growthBytes < FLAT_BYTES ? 'flat' : 'GROWS with the file'} ` +
        `(flat: under ${mib(FLAT_BYTES)} MiB)`),
);
if (failures.length > 0) {
  failed = true;
  console.log(`\nFAILED checks:\n${failures.map((f) => `  ${f}`).join('\n')}`);
}

const resultsDir = new URL('../results/', import.meta.url);
await mkdir(resultsDir, { recursive: true });
const file = new URL('uploads.json', resultsDir);
await writeFile(
  file,
  `${JSON.stringify(
    {
      bench: 'uploads',
      at: new Date().toISOString(),
      node: process.version,
      cpus: availableParallelism(),
      loadAverage: loadavg(),
      settings: { ...settings, logLevel, serviceNodeFlags },
      sizes: results,
      aim: { ratio: AIM, largeBytes: LARGE_BYTES, met: aimMet },
      rss: { growthBytes, flatBytes: FLAT_BYTES },
      failures,
    },
    null,
    2,
  )}\n`,
);
console.log(`\nfigures written to ${file.pathname}`);
process.exitCode = failed ? 1 : 0;
