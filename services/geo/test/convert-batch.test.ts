/**
 * POST /convert/batch: `{"points": [...], "to": […], …options}`, each point answered in place,
 * up to the batch limit. Examples and properties against the test limits of app.ts, then a
 * full batch against the limits geo ships with.
 *
 * Each property runs a bounded number of random cases. When one fails, fast-check prints the
 * shrunk counterexample and the seed; `fc.assert(..., { seed, path })` replays it.
 */
import type { RunningApp } from '@quadrants/service-kit/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadGeoConfig } from '../src/config.ts';
import { seededRandom } from '../test-support/seeded-random.ts';
import { startGeo, startGeoWith, testLimits } from './app.ts';
import type { Fields } from './arbitraries.ts';
import {
  client,
  expectNamed,
  expectProblem,
  expectStillConverting,
  type GeoClient,
  type ItemError,
  inPieces,
  utf8,
} from './http.ts';
import {
  aRefusedOptionOf,
  aRefusedPosition,
  asPosition,
  aValidPosition,
  type KnownSystems,
  learnSystems,
} from './positions.ts';

let geo: RunningApp;
let api: GeoClient;
let known: KnownSystems;

beforeAll(async () => {
  geo = await startGeo();
  api = client(geo);
  known = await learnSystems(api);
});
afterAll(() => geo.close());

const builtInIds = ['latlon', 'dms', 'utm', 'mgrs', 'webmercator', 'ecef'];

describe('POST /convert/batch', () => {
  test('answers each point in place, errors included', async () => {
    const { status, body } = await api.post('/convert/batch', {
      to: ['utm'],
      points: [
        { from: 'latlon', lat: 1, lon: 2 },
        { from: 'mgrs', mgrs: 'nonsense' },
        { from: 'latlon', lat: 100, lon: 0 },
        { from: 'latlon', lat: 89, lon: 0 },
      ],
      utmZone: 31,
    });
    expect(status).toBe(200);
    const { results } = body as { results: unknown[] };
    expect(results).toHaveLength(4);
    expect(results[0]).toMatchObject({ utm: { zone: 31 } });
    expect(results[1]).toMatchObject({
      error: { status: 400, errors: [{ field: 'points.1.mgrs' }] },
    });
    expect(results[2]).toMatchObject({
      error: { status: 400, errors: [{ field: 'points.2.lat' }] },
    });
    expect(results[3]).toMatchObject({ error: { status: 422, errors: [{ field: 'utmZone' }] } });
  });

  test('with exactly batchMaxPoints points, answers 200', async () => {
    const points = Array.from({ length: testLimits.batchMaxPoints }, () => ({
      from: 'latlon',
      lat: 1,
      lon: 2,
    }));
    const answer = await api.post('/convert/batch', { points });
    expect(answer.status).toBe(200);
    expect((answer.body as { results: unknown[] }).results).toHaveLength(points.length);
  });

  test('answers 200 with one result per point, in order: a conversion or an error naming the point', async () => {
    type Point =
      | { kind: 'valid'; point: unknown }
      | { kind: 'refused'; point: unknown; field: string }
      | { kind: 'junk'; point: unknown };
    const aPoint: fc.Arbitrary<Point> = fc.oneof(
      aValidPosition(known).map((point): Point => ({ kind: 'valid', point })),
      aRefusedPosition(known, 'json').map(
        ({ position, field }): Point => ({ kind: 'refused', point: position, field }),
      ),
      fc
        .oneof(
          fc.jsonValue({ maxDepth: 2 }),
          fc.constantFrom(null, 0, '', [], {}, 'latlon', { from: 'latlon' }),
        )
        .map((point): Point => ({ kind: 'junk', point })),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(aPoint, { maxLength: testLimits.batchMaxPoints }),
        async (points) => {
          const answer = await api.post('/convert/batch', { points: points.map((p) => p.point) });
          expect(answer.status, answer.text).toBe(200);
          const { results } = answer.body as { results: unknown[] };
          expect(results).toHaveLength(points.length);
          for (const [index, point] of points.entries()) {
            const result = results[index] as Partial<ItemError> & Fields;
            const where = `points.${index}: ${JSON.stringify(point)} → ${JSON.stringify(result)}`;
            if (point.kind === 'valid') {
              expect(result.error, where).toBeUndefined();
              expect(Object.keys(result), where).toEqual(builtInIds);
              continue;
            }
            expect(result.error, where).toBeDefined();
            expect([400, 422], where).toContain(result.error?.status);
            expectNamed(
              result.error?.errors,
              point.kind === 'refused' ? `points.${index}.${point.field}` : `points.${index}`,
            );
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  test('with more than batchMaxPoints points, valid or not, answers 413 naming the limit', async () => {
    const onePast = Array.from({ length: testLimits.batchMaxPoints + 1 }, () => ({
      from: 'latlon',
      lat: 0,
      lon: 0,
    }));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(aValidPosition(known), fc.jsonValue({ maxDepth: 1 })), {
          minLength: testLimits.batchMaxPoints + 1,
          maxLength: testLimits.batchMaxPoints * 3,
        }),
        async (points) => {
          const problem = expectProblem(await api.post('/convert/batch', { points }), [413]);
          expect(problem.code).toBe('batch_too_large');
          expect(problem.maxPoints).toBe(testLimits.batchMaxPoints);
        },
      ),
      { numRuns: 30, examples: [[onePast]] },
    );
  });

  test('a refused output option answers 400 naming the option', async () => {
    const point = { from: 'latlon', lat: 52.2, lon: 21 };
    await fc.assert(
      fc.asyncProperty(aRefusedOptionOf(known, 'json'), async ({ name, value }) => {
        const answer = await api.post('/convert/batch', { points: [point], [name]: value });
        expectNamed(expectProblem(answer, [400]).errors, name);
      }),
      { numRuns: 60 },
    );
  });

  // The kit's own tests cover its body limit; this shows that geo passes its limit to the kit,
  // and that the limit holds when the body has no Content-Length to refuse it by.
  test('when a body without a Content-Length grows past the body limit, answers 413 and goes on converting', async () => {
    const point = { from: 'latlon', lat: 1, lon: 2 };
    const body = utf8(JSON.stringify({ points: Array.from({ length: 32_768 }, () => point) }));
    const cuts = Array.from({ length: 64 }, (_, index) => index * 16_384);
    const answer = await api.postStream('/convert/batch', inPieces(body, cuts), 'application/json');
    expect(expectProblem(answer, [413]).code).toBe('body_too_large');
    await expectStillConverting(api);
  });
});

describe("POST /convert/batch with geo's default limits", () => {
  const config = loadGeoConfig({});
  let shipped: RunningApp;
  let defaults: GeoClient;

  beforeAll(async () => {
    shipped = await startGeoWith(config);
    defaults = client(shipped);
  });
  afterAll(() => shipped.close());

  test.each(builtInIds)(
    'a full batch of %s positions, with a space after every ":" and ",", is accepted',
    async (system) => {
      const size = config.GEO_BATCH_MAX_POINTS;
      // The service writes the positions at full precision, as a client would send them back.
      const written = await defaults.post('/convert/batch', {
        points: pointsOnTheGlobe(size).map((point) => ({ from: 'latlon', ...point })),
        to: [system],
      });
      expect(written.status, written.text.slice(0, 500)).toBe(200);
      const points = (written.body as { results: Fields[] }).results.map((result) => ({
        from: system,
        ...asPosition(system, result[system]),
      }));
      const text = spaced({ points, to: ['latlon'] });
      const answer = await defaults.postText('/convert/batch', text, 'application/json');
      const bytes = Buffer.byteLength(text);
      expect(answer.status, `${bytes} bytes: ${answer.text.slice(0, 500)}`).toBe(200);
      const { results } = answer.body as { results: Partial<ItemError>[] };
      expect(results).toHaveLength(size);
      expect(results.filter((result) => result.error !== undefined)).toEqual([]);
    },
  );
});

/**
 * `count` seeded points spread evenly over the globe's area up to 85° from the equator, where
 * every built-in system (Web Mercator the last) has a value.
 */
function pointsOnTheGlobe(count: number): { lat: number; lon: number }[] {
  const random = seededRandom(0x6e0_10);
  const reach = Math.sin((85 * Math.PI) / 180);
  return Array.from({ length: count }, () => ({
    lat: (Math.asin((2 * random() - 1) * reach) * 180) / Math.PI,
    lon: 360 * random() - 180,
  }));
}

/** JSON as Python's json.dumps writes it by default: a space after every ':' and ','. */
function spaced(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(spaced).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.entries(value).map(
      ([key, item]) => `${JSON.stringify(key)}: ${spaced(item)}`,
    );
    return `{${members.join(', ')}}`;
  }
  return JSON.stringify(value);
}
