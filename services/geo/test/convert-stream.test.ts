/**
 * POST /convert/stream: NDJSON in, one NDJSON line out per non-blank line in, in order; the
 * output options in the query. A bad line is answered by its line number and the stream goes on.
 *
 * Each property runs a bounded number of random cases. When one fails, fast-check prints the
 * shrunk counterexample and the seed; `fc.assert(..., { seed, path })` replays it.
 */
import type { RunningApp } from '@quadrants/service-kit/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGeo, testLimits } from './app.ts';
import { hostileString } from './arbitraries.ts';
import {
  client,
  expectNamed,
  expectProblem,
  expectStillConverting,
  type GeoClient,
  type ItemError,
  inPieces,
  query,
  utf8,
} from './http.ts';
import {
  aRefusedOptionOf,
  aRefusedPosition,
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

const NDJSON = 'application/x-ndjson';

/** The answer's lines, parsed; the answer ends with a newline. */
function linesOf(text: string): unknown[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as unknown);
}

describe('POST /convert/stream', () => {
  test('answers one line per line, in order; a bad line is answered by its number and the stream goes on', async () => {
    const input = [
      JSON.stringify({ from: 'latlon', lat: 1, lon: 2 }),
      'not json',
      '',
      JSON.stringify({ from: 'latlon', lat: 95, lon: 2 }),
      JSON.stringify({ from: 'latlon', lat: 0, lon: 0, pad: 'x'.repeat(600) }),
      JSON.stringify({ from: 'EPSG:4326', lat: -1, lon: -2 }),
    ].join('\n');
    const answer = await api.postText('/convert/stream?to=latlon', input, NDJSON);
    expect(answer.status).toBe(200);
    expect(answer.type).toMatch(/^application\/x-ndjson/);
    expect(linesOf(answer.text)).toEqual([
      { latlon: { lat: 1, lon: 2 } },
      expect.objectContaining({ line: 2, error: expect.objectContaining({ status: 400 }) }),
      expect.objectContaining({ line: 4, error: expect.objectContaining({ status: 400 }) }),
      expect.objectContaining({ line: 5, error: expect.objectContaining({ status: 413 }) }),
      { latlon: { lat: -1, lon: -2 } },
    ]);
  });

  test.each(['text/plain', 'text/csv'])('when the body is %s, answers 415', async (type) => {
    const answer = await api.postText(
      '/convert/stream',
      '{"from":"latlon","lat":1,"lon":2}\n',
      type,
    );
    expectProblem(answer, [415]);
  });

  test('a refused output option answers 400 naming the option, before streaming', async () => {
    const line = `${JSON.stringify({ from: 'latlon', lat: 52.2, lon: 21 })}\n`;
    await fc.assert(
      fc.asyncProperty(aRefusedOptionOf(known, 'query'), async ({ name, value }) => {
        const answer = await api.postText(
          `/convert/stream?${query({ [name]: value })}`,
          line,
          NDJSON,
        );
        expectNamed(expectProblem(answer, [400]).errors, name);
      }),
      { numRuns: 60, examples: [[{ name: 'to', value: 'nowhere' }]] },
    );
  });

  test('answers one line per non-blank line, in order, naming bad ones by their number, and carries on', async () => {
    type Expected = 'conversion' | 'error' | 'too-long' | 'blank';
    interface Line {
      bytes: Buffer;
      expected: Expected;
      field?: string;
      /** Lines padded to a byte length end in \n alone, so the length is exact. */
      padded?: boolean;
    }
    const isBlank = (bytes: Buffer) => bytes.toString('utf8').replace(/\r$/, '').trim() === '';
    const padTo = (json: string, bytes: number) =>
      utf8(json.padEnd(bytes - utf8(json).length + json.length, ' '));
    const valid = aValidPosition(known).map((p) => JSON.stringify(p));
    const aLine: fc.Arbitrary<Line> = fc.oneof(
      valid.map((json): Line => ({ bytes: utf8(json), expected: 'conversion' })),
      aRefusedPosition(known, 'json').map(
        ({ position, field }): Line => ({
          bytes: utf8(JSON.stringify(position)),
          expected: 'error',
          field,
        }),
      ),
      fc
        .oneof(
          hostileString.map(utf8),
          fc.string({ unit: 'binary', minLength: 1, maxLength: 80 }).map(utf8),
          fc.uint8Array({ minLength: 1, maxLength: 80 }).map((bytes) => Buffer.from(bytes)),
          // Invalid UTF-8 inside what is otherwise a position.
          fc
            .uint8Array({ minLength: 1, maxLength: 8, min: 0x80, max: 0xff })
            .map((bytes) =>
              Buffer.concat([utf8('{"from":"mgrs","mgrs":"33U'), Buffer.from(bytes), utf8('"}')]),
            ),
        )
        .filter((bytes) => !bytes.includes(0x0a) && !isBlank(bytes))
        .map((bytes): Line => ({ bytes, expected: 'error' })),
      fc
        .constantFrom('', ' ', '\t', '  \t ')
        .map((text): Line => ({ bytes: utf8(text), expected: 'blank' })),
      fc.tuple(valid, fc.integer({ min: testLimits.streamMaxLineBytes + 1, max: 3000 })).map(
        ([json, length]): Line => ({
          bytes: padTo(json, length),
          expected: 'too-long',
          padded: true,
        }),
      ),
      valid.map(
        (json): Line => ({
          bytes: padTo(json, testLimits.streamMaxLineBytes),
          expected: 'conversion',
          padded: true,
        }),
      ),
    );

    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(aLine, fc.constantFrom('\n', '\r\n')), { maxLength: 30 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (lines, lastEnded, cuts) => {
          const sent = lines.map(([line, ending], index) => ({
            line,
            ending: index === lines.length - 1 && !lastEnded ? '' : line.padded ? '\n' : ending,
          }));
          const body = Buffer.concat(
            sent.flatMap(({ line, ending }) => [line.bytes, utf8(ending)]),
          );
          const answer = await api.postStream('/convert/stream', inPieces(body, cuts), NDJSON);
          expect(answer.status, answer.text).toBe(200);
          expect(answer.type).toMatch(/^application\/x-ndjson/);
          const answered = answer.text.split('\n');
          expect(answered.pop()).toBe('');
          // A line longer than the limit (a \r before its \n included) is refused as such.
          // Error lines name the line of the body, blank lines counted.
          const expected = sent
            .map(({ line, ending }, index) => ({ line, ending, number: index + 1 }))
            .filter(({ line }) => line.expected !== 'blank')
            .map(({ line, ending, number }): Line & { number: number } => {
              const counted = line.bytes.length + (ending === '\r\n' ? 1 : 0);
              return counted > testLimits.streamMaxLineBytes
                ? { ...line, expected: 'too-long', number }
                : { ...line, number };
            });
          expect(answered).toHaveLength(expected.length);
          for (const [index, line] of expected.entries()) {
            const out = JSON.parse(answered[index] ?? '') as Partial<ItemError>;
            const where = `line ${index + 1}: ${JSON.stringify(line.bytes.toString())} → ${answered[index]}`;
            if (line.expected === 'conversion') {
              expect(out.error, where).toBeUndefined();
              continue;
            }
            expect(out.line, where).toBe(line.number);
            if (line.expected === 'too-long') {
              expect(out.error, where).toMatchObject({ status: 413, code: 'line_too_long' });
            } else {
              expect([400, 422], where).toContain(out.error?.status);
              if (line.field !== undefined) expectNamed(out.error?.errors, line.field);
            }
          }
        },
      ),
      { numRuns: 120 },
    );
  });

  // A stream has no body limit, only a line limit: far more than any body limit, each line of
  // it too long, is still answered line by line.
  test('a 10 MB stream of over-long lines answers line_too_long for each, in order, and goes on converting', async () => {
    const line = `${JSON.stringify({ from: 'latlon', lat: 1, lon: 2 }).padEnd(1023, ' ')}\n`;
    const count = (10 * 1024 * 1024) / line.length;
    const answer = await api.postText('/convert/stream', line.repeat(count), NDJSON);
    expect(answer.status).toBe(200);
    const answered = linesOf(answer.text);
    expect(answered).toHaveLength(count);
    for (const [index, out] of answered.entries()) {
      expect(out).toMatchObject({
        error: { status: 413, code: 'line_too_long' },
        line: index + 1,
      });
    }
    await expectStillConverting(api);
  });
});
