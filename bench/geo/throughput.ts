// geo throughput: UTM conversions per second in-process (beside proj4), through
// POST /convert/batch and through a long POST /convert/stream, and the service's memory while
// it streams. Not a test: it prints figures and ratios and exits 0 whatever they are; only a
// crash, a wrong answer or a missing answer line exits 1.
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { positiveIntFromEnv } from '../lib/load.ts';
import { type ServerProcess, spawnService } from '../lib/spawn-server.ts';
import { mib, printTable, whole } from '../lib/table.ts';
import { type BatchFigures, measureBatch } from './http-batch.ts';
import { measureStream, type StreamFigures } from './http-stream.ts';
import { type InProcessFigures, measureInProcess } from './in-process.ts';

/** From the issue: at least a million UTM conversions per second on one core, in-process. */
const AIM_POINTS_PER_SECOND = 1_000_000;
/**
 * "Flat": over the long stream, RSS grows less than this from its first third to its last. A
 * leak of 10 bytes a line would put 30 MiB into each third of a 10-million-line stream.
 */
const FLAT_BYTES = 20 * 2 ** 20;

const settings = {
  inProcessPoints: positiveIntFromEnv('BENCH_INPROCESS_POINTS', 2_000_000),
  batch: {
    warmupSeconds: positiveIntFromEnv('BENCH_WARMUP', 2),
    durationSeconds: positiveIntFromEnv('BENCH_BATCH_DURATION', 10),
  },
  streamPoints: positiveIntFromEnv('BENCH_STREAM_POINTS', 10_000_000),
  timeoutSeconds: positiveIntFromEnv('BENCH_TIMEOUT', 600),
};
// The same memory figures from a stream ten times shorter show whether length matters.
const shortStreamPoints = Math.max(1, Math.round(settings.streamPoints / 10));
const geoLogLevel = process.env.LOG_LEVEL || 'info';
/**
 * V8 sizes its heap from the memory it sees. On a big bench machine it lets the young
 * generation grow by doubling to 128 MiB while a stream runs, a step of about 66 MiB of RSS
 * that lands wherever the doubling falls; in geo's pod (limit 256Mi, k8s/base/geo) the same
 * Node picks a 1 MiB semi-space and a 259 MiB heap limit (`docker run --memory=256m`,
 * v8.getHeapStatistics()). These flags give the service that heap here, so its RSS has the
 * shape it has in the pod. BENCH_SERVICE_NODE_FLAGS overrides them; empty means V8's own sizing.
 */
const serviceNodeFlags = (
  process.env.BENCH_SERVICE_NODE_FLAGS ?? '--max-semi-space-size=1 --max-old-space-size=256'
)
  .split(/\s+/)
  .filter(Boolean);
const geoMain = new URL('../../services/geo/src/main.ts', import.meta.url);
const signal = AbortSignal.timeout(settings.timeoutSeconds * 1000);

/** Each HTTP part gets a service of its own, so that its peak RSS is its own. */
async function withService<T>(run: (server: ServerProcess) => Promise<T>): Promise<T> {
  const server = await spawnService(
    'geo service',
    geoMain,
    { LOG_LEVEL: geoLogLevel },
    serviceNodeFlags,
  );
  try {
    return await run(server);
  } finally {
    await server.stop();
  }
}

interface MemoryVerdict {
  /** The long stream's last-third mean RSS less its first third's. */
  growthBytes: number | null;
  /**
   * The long stream's peak RSS less the short stream's: shown, not judged, since V8 grows its
   * heap in steps of tens of MiB at moments that vary from run to run.
   */
  lengthBytes: number | null;
  flat: boolean | null;
}

function memoryVerdict(short: StreamFigures | undefined, long: StreamFigures): MemoryVerdict {
  const growthBytes = long.growthBytes;
  const shortPeak = short?.peakRssBytes ?? null;
  const lengthBytes =
    long.peakRssBytes === null || shortPeak === null ? null : long.peakRssBytes - shortPeak;
  const flat = growthBytes === null ? null : growthBytes < FLAT_BYTES;
  return { growthBytes, lengthBytes, flat };
}

const ratio = (of: number, to: number): string => (of / to).toFixed(3);

function print(
  inProcess: InProcessFigures,
  batch: BatchFigures,
  streams: StreamFigures[],
  memory: MemoryVerdict,
): void {
  const ours = inProcess.toUtmUps;
  console.log('throughput, UTM only (points/s; ratio to in-process toUtmUps)\n');
  printTable(
    ['what', 'points/s', '/ toUtmUps', 'peak RSS (MiB)'],
    [
      ['in-process geo toUtmUps', whole(ours), '1.000', '-'],
      ['in-process proj4 +proj=utm', whole(inProcess.proj4), ratio(inProcess.proj4, ours), '-'],
      ['in-process floor (sin·cos)', whole(inProcess.floor), ratio(inProcess.floor, ours), '-'],
      [
        `HTTP batch (${whole(batch.pointsPerBatch)} per request)`,
        whole(batch.pointsPerSecond),
        ratio(batch.pointsPerSecond, ours),
        mib(batch.peakRssBytes),
      ],
      ...streams.map((stream) => [
        `HTTP stream (${whole(stream.points)} lines)`,
        whole(stream.pointsPerSecond),
        ratio(stream.pointsPerSecond, ours),
        mib(stream.peakRssBytes),
      ]),
    ],
  );

  console.log('\nservice memory while streaming (RSS, MiB)\n');
  printTable(
    ['stream', 'at 10%', 'at 50%', 'at 90%', 'peak', 'first third*', 'last third*', 'growth'],
    streams.map((stream) => [
      `${whole(stream.points)} lines`,
      mib(stream.rssAtTenthsBytes[0] ?? null),
      mib(stream.rssAtTenthsBytes[4] ?? null),
      mib(stream.rssAtTenthsBytes[8] ?? null),
      mib(stream.peakRssBytes),
      mib(stream.firstThirdMeanBytes),
      mib(stream.lastThirdMeanBytes),
      mib(stream.growthBytes),
    ]),
  );
  console.log(
    '* mean of the samples taken while that third of the lines was answered; ' +
      'the first third leaves out the first tenth (start-up)',
  );
  for (const stream of streams) {
    const tenths = stream.rssAtTenthsBytes.map((bytes) => mib(bytes)).join(' ');
    console.log(`RSS at each tenth of the ${whole(stream.points)}-line stream: ${tenths}`);
  }

  const [short, long] = streams.length > 1 ? streams : [undefined, streams[0]];
  const { agreement } = inProcess;
  console.log(
    `\ntoUtmUps / proj4: ${ratio(ours, inProcess.proj4)} (they agree to ` +
      `${(agreement.maxDifferenceMetres * 1e9).toFixed(1)} nm on ` +
      `${whole(agreement.points - agreement.otherZone)} points; ${agreement.otherZone} others ` +
      'lie where the Norway and Svalbard exceptions move the zone)' +
      `\naim: ≥ ${whole(AIM_POINTS_PER_SECOND)} UTM conversions/s on one core in-process: ` +
      (ours >= AIM_POINTS_PER_SECOND ? 'met' : 'NOT met') +
      `\nmemory: ${memory.flat === null ? 'too short to tell' : memory.flat ? 'flat' : 'GROWS'} ` +
      `(growth < ${mib(FLAT_BYTES)} MiB): over the ${whole(long?.points ?? 0)}-line stream ` +
      `RSS grew ${mib(memory.growthBytes)} MiB from its first third to its last` +
      (memory.lengthBytes === null
        ? ''
        : `; its peak less the ${whole(short?.points ?? 0)}-line stream's peak: ` +
          `${mib(memory.lengthBytes)} MiB`),
  );
  if (batch.failures > 0) {
    console.log(`warning: ${batch.failures} batches failed; the batch figure is not comparable`);
  }
}

try {
  console.log(
    `geo throughput: ${whole(settings.inProcessPoints)} points in-process; batches for ` +
      `${settings.batch.warmupSeconds} s warm-up + ${settings.batch.durationSeconds} s measured; ` +
      `streams of ${whole(shortStreamPoints)} and ${whole(settings.streamPoints)} lines; ` +
      `geo logs at ${geoLogLevel}; the service runs with ` +
      `${serviceNodeFlags.length > 0 ? serviceNodeFlags.join(' ') : "V8's own heap sizing"}; ` +
      `${availableParallelism()} CPUs, node ${process.version}; ` +
      `gives up after ${settings.timeoutSeconds} s\n`,
  );
  const inProcess = measureInProcess(settings.inProcessPoints);
  const batch = await withService((server) => measureBatch(server, settings.batch, signal));
  const streams: StreamFigures[] = [];
  for (const points of new Set([shortStreamPoints, settings.streamPoints])) {
    streams.push(await withService((server) => measureStream(server, points, signal)));
  }
  const long = streams.at(-1);
  if (!long) throw new Error('no stream was measured');
  const memory = memoryVerdict(streams.length > 1 ? streams[0] : undefined, long);
  print(inProcess, batch, streams, memory);

  const results = new URL('../results/', import.meta.url);
  await mkdir(results, { recursive: true });
  const file = new URL('geo-throughput.json', results);
  const record = {
    bench: 'geo-throughput',
    at: new Date().toISOString(),
    node: process.version,
    cpus: availableParallelism(),
    settings: { ...settings, shortStreamPoints, geoLogLevel, serviceNodeFlags },
    inProcess,
    batch,
    streams,
    ratios: {
      toUtmUpsToProj4: inProcess.toUtmUps / inProcess.proj4,
      batchToInProcess: batch.pointsPerSecond / inProcess.toUtmUps,
      streamsToInProcess: streams.map((s) => s.pointsPerSecond / inProcess.toUtmUps),
    },
    aim: {
      inProcessPointsPerSecondAtLeast: AIM_POINTS_PER_SECOND,
      met: inProcess.toUtmUps >= AIM_POINTS_PER_SECOND,
    },
    memory: { ...memory, limitBytes: FLAT_BYTES },
  };
  // Pretty, but each RSS sample on one line: a long stream has hundreds.
  const json = JSON.stringify(record, null, 2).replace(
    /\[\s+([\d.]+),\s+([\d.]+),\s+([\d.]+)\s+\]/g,
    '[$1, $2, $3]',
  );
  await writeFile(file, `${json}\n`);
  console.log(`\nfigures written to ${file.pathname}`);

  // A stream that loses lines or errs on valid ones is a fault in the service, not a figure.
  for (const stream of streams) {
    if (stream.answerLines !== stream.points || stream.errorLines > 0) {
      console.error(
        `FAILED: ${whole(stream.points)} lines streamed, ${whole(stream.answerLines)} answered, ` +
          `${whole(stream.errorLines)} of them errors`,
      );
      process.exitCode = 1;
    }
  }
} catch (error) {
  if (signal.aborted) console.error(`gave up after BENCH_TIMEOUT=${settings.timeoutSeconds} s`);
  throw error;
}
