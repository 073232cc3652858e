// Points per second through POST /convert/batch: full batches of latlon points, UTM only.
import { toUtmUps } from '@quadrants/geo/domain/utmups';
import type { ServerProcess } from '../lib/spawn-server.ts';
import { latlonJson, pointSource } from './points.ts';

export interface BatchSettings {
  warmupSeconds: number;
  durationSeconds: number;
}

export interface BatchFigures extends BatchSettings {
  pointsPerBatch: number;
  inFlight: number;
  batches: number;
  pointsPerSecond: number;
  /** Requests answered with anything but 200: should be 0. */
  failures: number;
  peakRssBytes: number | null;
}

/** geo's default GEO_BATCH_MAX_POINTS: the largest batch it takes. */
const POINTS_PER_BATCH = 10_000;
/** Distinct bodies sent in turn, so that nothing along the way sees one body over and over. */
const BODIES = 10;
/** One batch converting while the next travels: on two cores, more would only queue. */
const IN_FLIGHT = 2;
const PATH = '/convert/batch';

function batchBodies(): { bodies: string[]; firstAnswer: string } {
  const next = pointSource();
  const bodies: string[] = [];
  let firstAnswer = '';
  for (let b = 0; b < BODIES; b++) {
    const points = Array.from({ length: POINTS_PER_BATCH }, next);
    bodies.push(`{"points":[${points.map(latlonJson).join(',')}],"to":["utm"]}`);
    // What the service must answer, byte for byte, computed here with its own domain function.
    if (b === 0)
      firstAnswer = JSON.stringify({ results: points.map((p) => ({ utm: toUtmUps(p) })) });
  }
  return { bodies, firstAnswer };
}

async function post(baseUrl: string, body: string, signal: AbortSignal) {
  const response = await fetch(baseUrl + PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal,
  });
  return { status: response.status, text: await response.text() };
}

/** A 200 that does not answer every point with a UTM position is the service's bug, not load. */
function checkAnswer(text: string): void {
  const { results } = JSON.parse(text) as { results: unknown[] };
  if (results.length !== POINTS_PER_BATCH) {
    throw new Error(`${PATH}: ${results.length} results for ${POINTS_PER_BATCH} points`);
  }
  if (text.includes('"error"'))
    throw new Error(`${PATH}: a valid point was answered with an error`);
}

/** Keeps IN_FLIGHT batches going until `seconds` have passed; counts what completed. */
async function load(baseUrl: string, bodies: string[], seconds: number, signal: AbortSignal) {
  let batches = 0;
  let failures = 0;
  let sent = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let lastDone = start;
  const worker = async () => {
    while (performance.now() < deadline) {
      const { status, text } = await post(baseUrl, bodies[sent++ % bodies.length] ?? '', signal);
      lastDone = performance.now();
      if (status !== 200) failures++;
      else {
        checkAnswer(text);
        batches++;
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return { batches, failures, seconds: (lastDone - start) / 1000 };
}

export async function measureBatch(
  server: ServerProcess,
  settings: BatchSettings,
  signal: AbortSignal,
): Promise<BatchFigures> {
  const { bodies, firstAnswer } = batchBodies();
  const first = await post(server.baseUrl, bodies[0] ?? '', signal);
  if (first.status !== 200 || first.text !== firstAnswer) {
    throw new Error(
      `${PATH} answered ${first.status} ${first.text.slice(0, 300)}…\n` +
        `but toUtmUps gives ${firstAnswer.slice(0, 300)}…`,
    );
  }
  await load(server.baseUrl, bodies, settings.warmupSeconds, signal);
  const { batches, failures, seconds } = await load(
    server.baseUrl,
    bodies,
    settings.durationSeconds,
    signal,
  );
  return {
    ...settings,
    pointsPerBatch: POINTS_PER_BATCH,
    inFlight: IN_FLIGHT,
    batches,
    pointsPerSecond: (batches * POINTS_PER_BATCH) / seconds,
    failures,
    peakRssBytes: server.peakRssBytes(),
  };
}
