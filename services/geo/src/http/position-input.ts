import { type FieldProblem, Invalid, parseOrThrow, Unprocessable } from '@quadrants/service-kit';
import type { z } from 'zod';
import { normalizeSystemId } from '../domain/crs-catalog.ts';
import { PositionError } from '../domain/errors.ts';
import { optionNames } from './schemas.ts';

/** System ids are case-insensitive and have EPSG aliases; the schemas see the canonical id. */
export function withCanonicalFrom(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const from = (raw as { from?: unknown }).from;
  return typeof from === 'string' ? { ...raw, from: normalizeSystemId(from) } : raw;
}

/** A system list as given in a query (`utm,mgrs`) or a body, in canonical ids. */
export function withCanonicalTo(raw: unknown): unknown {
  if (typeof raw === 'string') return raw.split(',').map(normalizeSystemId).join(',');
  if (Array.isArray(raw))
    return raw.map((id) => (typeof id === 'string' ? normalizeSystemId(id) : id));
  return raw;
}

/**
 * Domain errors become the kit's HTTP errors: unreadable input 400, outside a system 422. A
 * field of the position is named under `prefix` (`position.lat`, `points.3.lat`); an output
 * option such as utmZone stands beside the positions and keeps its own name.
 */
export function toHttpError(error: unknown, prefix?: string): unknown {
  if (!(error instanceof PositionError)) return error;
  const underPrefix = prefix !== undefined && !optionNames.includes(error.field);
  const problem: FieldProblem = {
    field: underPrefix ? `${prefix}.${error.field}` : error.field,
    detail: error.message,
  };
  return error.kind === 'invalid' ? new Invalid([problem]) : new Unprocessable([problem]);
}

export function parsePosition<Schema extends z.ZodType>(
  schema: Schema,
  raw: unknown,
  where?: string,
): z.output<Schema> {
  return parseOrThrow(schema, withCanonicalFrom(raw), where);
}

/** What a batch or a stream answers in place of a point it could not convert. */
export interface ItemError {
  error: { status: number; code: string; detail: string; errors: FieldProblem[] };
  line?: number;
}

export function itemError(error: unknown): ItemError {
  const mapped = toHttpError(error);
  if (mapped instanceof Invalid || mapped instanceof Unprocessable) {
    return {
      error: {
        status: mapped.status,
        code: mapped.code,
        detail: mapped.message,
        errors: [...mapped.errors],
      },
    };
  }
  throw error;
}
