// Points per second through POST /convert/stream, and the service's memory while it streams.
// The client makes its NDJSON on the fly and only counts what comes back, so neither side
// ever holds the whole stream: whatever grows is the service's.
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { toUtmUps } from '@quadrants/geo/domain/utmups';
import type { ServerProcess } from '../lib/spawn-server.ts';
import { latlonJson, pointSource } from './points.ts';

/** One reading of the service's resident set: [ms since the stream began, lines answered, KiB]. */
export type RssSample = [ms: number, lines: number, rssKiB: number];

export interface StreamFigures {
  points: number;
  answerLines: number;
  /** Answer lines that are errors: valid points should have none. */
  errorLines: number;
  seconds: number;
  pointsPerSecond: number;
  peakRssBytes: number | null;
  /** RSS when 10%, 20%, … 100% of the lines had been answered. */
  rssAtTenthsBytes: (number | null)[];
  /**
   * Mean RSS while the first third of the lines were answered, leaving out the first tenth:
   * there the process is still compiling and sizing its heap, whatever the stream's length.
   */
  firstThirdMeanBytes: number | null;
  /** Mean RSS while the last third of the lines were answered. */
  lastThirdMeanBytes: number | null;
  /** Last third's mean less the first's; null when the stream was too short to sample. */
  growthBytes: number | null;
  samples: RssSample[];
}

const PATH = '/convert/stream?to=utm';
const LINES_PER_CHUNK = 1_000;
const SAMPLE_EVERY_MS = 250;
/** Answer lines checked byte for byte against toUtmUps; the rest are counted. */
const CHECKED_LINES = 1_000;
const NEWLINE = 0x0a;
const ERROR = Buffer.from('"error"');

/** The stream's body, made a chunk at a time as the request asks for it. */
function* ndjson(count: number): Generator<string> {
  const next = pointSource();
  for (let sent = 0; sent < count; ) {
    const lines = Math.min(LINES_PER_CHUNK, count - sent);
    let chunk = '';
    for (let i = 0; i < lines; i++) chunk += `${latlonJson(next())}\n`;
    sent += lines;
    yield chunk;
  }
}

function expectedFirstLines(count: number): string {
  const next = pointSource();
  let text = '';
  for (let i = 0; i < count; i++) text += `${JSON.stringify({ utm: toUtmUps(next()) })}\n`;
  return text;
}

/** Counts lines and error answers in the chunks of a response, whatever their boundaries. */
function answerCounter() {
  let lines = 0;
  let errors = 0;
  // The end of the previous chunk, so that "error" split across two chunks is still seen.
  let tail = Buffer.alloc(0);
  return {
    add(chunk: Buffer) {
      for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, at + 1)) lines++;
      const joined = Buffer.concat([tail, chunk]);
      for (let at = joined.indexOf(ERROR); at !== -1; at = joined.indexOf(ERROR, at + 1)) {
        if (at + ERROR.length > tail.length) errors++;
      }
      tail = joined.subarray(Math.max(0, joined.length - ERROR.length + 1));
    },
    get lines() {
      return lines;
    },
    get errors() {
      return errors;
    },
  };
}

const mean = (values: number[]): number | null =>
  values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;

function memoryFigures(samples: RssSample[], points: number) {
  const bytes = ([, , kib]: RssSample) => kib * 1024;
  const rssAtTenthsBytes = Array.from({ length: 10 }, (_, i) => {
    const sample = samples.find(([, lines]) => lines >= ((i + 1) * points) / 10);
    return sample ? bytes(sample) : null;
  });
  const firstThirdMeanBytes = mean(
    samples.filter(([, lines]) => lines >= points / 10 && lines <= points / 3).map(bytes),
  );
  const lastThirdMeanBytes = mean(
    samples.filter(([, lines]) => lines >= (2 * points) / 3).map(bytes),
  );
  const growthBytes =
    firstThirdMeanBytes === null || lastThirdMeanBytes === null
      ? null
      : lastThirdMeanBytes - firstThirdMeanBytes;
  return {
    rssAtTenthsBytes,
    firstThirdMeanBytes,
    lastThirdMeanBytes,
    growthBytes,
  };
}

/** Streams `points` lines to a freshly started service and counts the answers. */
export async function measureStream(
  server: ServerProcess,
  points: number,
  signal: AbortSignal,
): Promise<StreamFigures> {
  const counter = answerCounter();
  const expected = expectedFirstLines(Math.min(CHECKED_LINES, points));
  let head = '';
  const samples: RssSample[] = [];
  const start = performance.now();
  const sample = () => {
    const rss = server.rssBytes();
    if (rss !== null)
      samples.push([Math.round(performance.now() - start), counter.lines, rss / 1024]);
  };
  const sampler = setInterval(sample, SAMPLE_EVERY_MS);
  sample();

  try {
    const req = request(server.baseUrl + PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      agent: false,
      signal,
    });
    const answered = new Promise<void>((resolve, reject) => {
      req.once('error', reject);
      req.once('response', (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`${PATH}: answered ${res.statusCode}`));
          res.resume();
          return;
        }
        res.on('data', (chunk: Buffer) => {
          if (head.length < expected.length) head += chunk.toString('utf8');
          counter.add(chunk);
        });
        res.once('end', resolve);
        res.once('error', reject);
      });
    });
    // The body goes out while the answers come back: neither side waits for the other's end.
    await Promise.all([pipeline(Readable.from(ndjson(points)), req), answered]);
  } catch (error) {
    throw new Error(
      `${PATH}: failed after ${counter.lines} answer lines of ${points} points: ` +
        (error as Error).message,
      { cause: error },
    );
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - start) / 1000;
  sample();

  if (!head.startsWith(expected)) {
    throw new Error(
      `${PATH}: the first answers differ from toUtmUps's\n` +
        `got      ${head.slice(0, 300)}…\nexpected ${expected.slice(0, 300)}…`,
    );
  }
  return {
    points,
    answerLines: counter.lines,
    errorLines: counter.errors,
    seconds,
    pointsPerSecond: counter.lines / seconds,
    peakRssBytes: server.peakRssBytes(),
    ...memoryFigures(samples, points),
    samples,
  };
}
