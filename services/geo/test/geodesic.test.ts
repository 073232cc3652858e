/**
 * GET and POST /geodesic/inverse (the distance and azimuths between two points) and
 * /geodesic/direct (where a distance along an azimuth leads): the same fields in the query or
 * in a JSON body. Expected values are GeographicLib's GeodSolve.
 *
 * Each property runs a bounded number of random cases. When one fails, fast-check prints the
 * shrunk counterexample and the seed; `fc.assert(..., { seed, path })` replays it.
 */
import type { RunningApp } from '@quadrants/service-kit/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGeo } from './app.ts';
import {
  anUnknownKey,
  type FieldKind,
  type Fields,
  geodesicDirectKinds,
  geodesicInverseKinds,
  refusedInBody,
  refusedInQuery,
  validNumber,
} from './arbitraries.ts';
import {
  type Answer,
  client,
  expectNamed,
  expectProblem,
  expectUnknownKey,
  type GeoClient,
  query,
} from './http.ts';

let geo: RunningApp;
let api: GeoClient;

beforeAll(async () => {
  geo = await startGeo();
  api = client(geo);
});
afterAll(() => geo.close());

type Via = 'GET' | 'POST';
const aVia = fc.constantFrom<Via>('GET', 'POST');

function solve(problem: 'inverse' | 'direct', via: Via, input: Fields): Promise<Answer> {
  const path = `/geodesic/${problem}`;
  return via === 'GET' ? api.get(`${path}?${query(input)}`) : api.post(path, input);
}

interface RefusedCase {
  via: Via;
  input: Fields;
  field: string;
  /** The object the error is reported on: the field itself, or (root) for an unknown key. */
  parent: string;
}

/** A valid problem with one field refused (or left out), or with an unknown key added. */
function aRefusedProblem(kinds: Record<string, FieldKind>): fc.Arbitrary<RefusedCase> {
  return fc.tuple(aValidProblem(kinds), aVia).chain(([input, via]) =>
    fc.oneof(
      fc.constantFrom(...Object.keys(kinds)).chain((field) => {
        const kind = kinds[field] ?? { type: 'number' as const };
        return (via === 'GET' ? refusedInQuery(kind) : refusedInBody(kind)).map(
          (value): RefusedCase => ({
            via,
            input: { ...input, [field]: value },
            field,
            parent: field,
          }),
        );
      }),
      anUnknownKey(Object.keys(kinds)).map(
        (key): RefusedCase => ({
          via,
          input: { ...input, [key]: '1' },
          field: key,
          parent: '(root)',
        }),
      ),
    ),
  );
}

function aValidProblem(kinds: Record<string, FieldKind>): fc.Arbitrary<Fields> {
  return fc.record(
    Object.fromEntries(Object.entries(kinds).map(([name, kind]) => [name, validNumber(kind)])),
  );
}

function expectRefused(answer: Answer, { field, parent }: RefusedCase): void {
  const problem = expectProblem(answer, [400]);
  if (parent === '(root)') expectUnknownKey(problem, parent, field);
  else expectNamed(problem.errors, field);
}

describe('GET and POST /geodesic/inverse', () => {
  test('answers the distance and azimuths, antipodal points included', async () => {
    const answer = await solve('inverse', 'GET', { lat1: 0, lon1: 0, lat2: 0.5, lon2: 179.7 });
    expect(answer.status).toBe(200);
    // GeodSolve -i -p 6 <<< "0 0 0.5 179.7"  →  15.556882793 164.442513891 19944127.420750
    expect(answer.body).toEqual({
      distance: expect.closeTo(19944127.42075, 5),
      azimuth1: expect.closeTo(15.556882793, 8),
      azimuth2: expect.closeTo(164.442513891, 8),
    });
  });

  test('any valid problem answers 200 with a number in every field', async () => {
    await fc.assert(
      fc.asyncProperty(aValidProblem(geodesicInverseKinds), aVia, async (input, via) => {
        const answer = await solve('inverse', via, input);
        expect(answer.status, answer.text).toBe(200);
        for (const output of ['distance', 'azimuth1', 'azimuth2']) {
          expect((answer.body as Fields)[output], `${output} in ${answer.text}`).toEqual(
            expect.any(Number),
          );
        }
      }),
      { numRuns: 150 },
    );
  });

  test('a refused or unknown field answers 400 naming it', async () => {
    await fc.assert(
      fc.asyncProperty(aRefusedProblem(geodesicInverseKinds), async (refused) => {
        expectRefused(await solve('inverse', refused.via, refused.input), refused);
      }),
      {
        numRuns: 200,
        examples: [
          [
            {
              via: 'GET',
              input: { lat1: 0, lon1: 0, lat2: -91, lon2: 0 },
              field: 'lat2',
              parent: 'lat2',
            },
          ],
        ],
      },
    );
  });
});

describe('GET and POST /geodesic/direct', () => {
  test('answers where a distance along an azimuth leads', async () => {
    const answer = await solve('direct', 'POST', {
      lat1: 40,
      lon1: -75,
      azimuth1: 45,
      distance: 1_000_000,
    });
    expect(answer.status).toBe(200);
    expect((answer.body as Fields).lat2).toBeCloseTo(46.024528, 6);
  });

  test('any valid problem answers 200 with a number in every field', async () => {
    await fc.assert(
      fc.asyncProperty(aValidProblem(geodesicDirectKinds), aVia, async (input, via) => {
        const answer = await solve('direct', via, input);
        expect(answer.status, answer.text).toBe(200);
        for (const output of ['lat2', 'lon2', 'azimuth2']) {
          expect((answer.body as Fields)[output], `${output} in ${answer.text}`).toEqual(
            expect.any(Number),
          );
        }
      }),
      { numRuns: 150 },
    );
  });

  test('a refused or unknown field answers 400 naming it', async () => {
    await fc.assert(
      fc.asyncProperty(aRefusedProblem(geodesicDirectKinds), async (refused) => {
        expectRefused(await solve('direct', refused.via, refused.input), refused);
      }),
      { numRuns: 200 },
    );
  });
});
