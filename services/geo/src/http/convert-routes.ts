import { pipeline } from 'node:stream/promises';
import { dropRestOfBody, parseOrThrow, TooLarge } from '@quadrants/service-kit';
import express, { type Request, type Router } from 'express';
import { type Conversion, convert, type Position } from '../domain/convert.ts';
import { builtInIds } from '../domain/crs-catalog.ts';
import { sendCacheable } from './cacheable.ts';
import { LINE_TOO_LONG, type Line, ndjsonLines, STOPPED } from './ndjson.ts';
import {
  type ItemError,
  itemError,
  parsePosition,
  toHttpError,
  withCanonicalFrom,
  withCanonicalTo,
} from './position-input.ts';
import {
  BatchBody,
  ConvertBody,
  type Options,
  OptionsQuery,
  optionNames,
  PositionQuery,
  Position as PositionSchema,
} from './schemas.ts';

export interface ConvertLimits {
  /** Most points one POST /convert/batch may carry; more answer 413. */
  batchMaxPoints: number;
  /** Longest line a stream may hold; a longer one is answered with an error line. */
  streamMaxLineBytes: number;
}

/** `where` prefixes the field a domain error names, as the schema errors are prefixed. */
function answer(position: Position, options: Options, where?: string): Conversion {
  try {
    return convert(position, options.to ?? builtInIds, options);
  } catch (error) {
    throw toHttpError(error, where);
  }
}

/** Splits a GET query into the position's fields and the output options. */
function splitQuery(query: Request['query']) {
  // No prototype: a parameter named __proto__ must stay a key that validation can refuse.
  const position: Record<string, unknown> = Object.create(null);
  const options: Record<string, unknown> = Object.create(null);
  for (const [name, value] of Object.entries(query)) {
    if (optionNames.includes(name)) options[name] = name === 'to' ? withCanonicalTo(value) : value;
    else position[name] = value;
  }
  return { position, options };
}

/** One stream line in, one answer line out: the conversion, or an error naming the line. */
function lineError(line: number, status: number, code: string, detail: string): ItemError {
  return { error: { status, code, detail, errors: [{ field: '(line)', detail }] }, line };
}

function answerLine(
  { number, text }: { number: number; text: string | typeof LINE_TOO_LONG },
  options: Options,
  limits: ConvertLimits,
): Conversion | ItemError {
  if (text === LINE_TOO_LONG) {
    const detail = `the line is longer than ${limits.streamMaxLineBytes} bytes`;
    return lineError(number, 413, 'line_too_long', detail);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return lineError(number, 400, 'invalid', 'the line is not valid JSON');
  }
  try {
    return answer(parsePosition(PositionSchema, raw), options);
  } catch (error) {
    return { ...itemError(error), line: number };
  }
}

/** The last line of a stream cut short by a shutdown: the client sends again from `line` on. */
function shuttingDownLine(line: number): ItemError {
  const detail = `the server is shutting down: lines from ${line} on were not read; send them again`;
  return { error: { status: 503, code: 'shutting_down', detail, errors: [] }, line };
}

/**
 * `stopping` aborts when the server shuts down: a stream then stops reading, answers the lines
 * it has read, ends with a line saying so, and closes cleanly.
 */
export function convertRoutes(limits: ConvertLimits, stopping: AbortSignal): Router {
  const router = express.Router();

  router.get('/convert', (req, res) => {
    const { position, options } = splitQuery(req.query);
    const parsedOptions = parseOrThrow(OptionsQuery, options);
    sendCacheable(req, res, answer(parsePosition(PositionQuery, position), parsedOptions));
  });

  router.post('/convert', (req, res) => {
    const body = req.body as Record<string, unknown> | undefined;
    const { position, ...options } = parseOrThrow(
      ConvertBody,
      body && typeof body === 'object' && !Array.isArray(body)
        ? { ...body, position: withCanonicalFrom(body.position), to: withCanonicalTo(body.to) }
        : body,
    );
    res.json(answer(position, options, 'position'));
  });

  router.post('/convert/batch', (req, res) => {
    const body = req.body as Record<string, unknown> | undefined;
    const points = body && typeof body === 'object' ? body.points : undefined;
    if (Array.isArray(points) && points.length > limits.batchMaxPoints) {
      throw new TooLarge(
        'batch_too_large',
        `the batch has ${points.length} points; at most ${limits.batchMaxPoints} are accepted ` +
          '(POST /convert/stream takes any number)',
        { extensions: { maxPoints: limits.batchMaxPoints } },
      );
    }
    const { points: raw, ...options } = parseOrThrow(
      BatchBody,
      body && typeof body === 'object' && !Array.isArray(body)
        ? { ...body, to: withCanonicalTo(body.to) }
        : body,
    );
    const results = raw.map((point, index) => {
      try {
        const where = `points.${index}`;
        return answer(parsePosition(PositionSchema, point, where), options, where);
      } catch (error) {
        return itemError(error);
      }
    });
    res.json({ results });
  });

  router.post('/convert/stream', async (req, res) => {
    const { options } = splitQuery(req.query);
    const parsedOptions = parseOrThrow(OptionsQuery, options);
    res.status(200).type('application/x-ndjson');
    let answered = 0;
    let cutShort = false;
    try {
      await pipeline(
        // Not destroyed when the stream stops early: a destroyed request resets the connection.
        req.iterator({ destroyOnReturn: false }),
        (source: AsyncIterable<Buffer>) => ndjsonLines(source, limits.streamMaxLineBytes, stopping),
        async function* (batches: AsyncIterable<Line[]>) {
          for await (const lines of batches) {
            let out = '';
            for (const { number, text } of lines) {
              if (text === STOPPED) {
                cutShort = true;
                out += `${JSON.stringify(shuttingDownLine(number))}\n`;
                break;
              }
              out += `${JSON.stringify(answerLine({ number, text }, parsedOptions, limits))}\n`;
              answered++;
            }
            yield out;
          }
        },
        res,
      );
      if (cutShort) {
        req.log.info({ answered }, 'stream cut short by shutdown');
        dropRestOfBody(req);
      }
    } catch (error) {
      // The client went away mid-stream; there is no one left to answer.
      req.log.info({ err: error, answered }, 'stream ended early');
    }
  });

  return router;
}
