import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';
import type { $ZodRawIssue } from 'zod/v4/core';

/** One thing wrong with the input: where (a field name or JSON pointer) and what. */
export interface FieldProblem {
  field: string;
  detail: string;
}

interface AppErrorOptions {
  /** Extra members of the problem document (RFC 9457 §3.2). */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * The base of the small family of errors a service throws on purpose. Each carries an HTTP
 * status and a stable `code` that clients may branch on; the one error middleware turns it into
 * problem+json. Anything else that reaches the middleware is a bug and becomes an opaque 500.
 */
export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly title: string;
  readonly code: string;
  readonly extensions: Record<string, unknown>;

  constructor(code: string, detail: string, options: AppErrorOptions = {}) {
    super(detail, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.extensions = options.extensions ?? {};
  }
}

export class Invalid extends AppError {
  readonly status = 400;
  readonly title = 'Invalid request';
  readonly errors: readonly FieldProblem[];

  /** `code` names the rule when clients may branch on it (file_missing); `invalid` otherwise. */
  constructor(errors: readonly FieldProblem[], options: AppErrorOptions & { code?: string } = {}) {
    const { code = 'invalid', ...rest } = options;
    super(code, errors.map((e) => `${e.field}: ${e.detail}`).join('; '), rest);
    this.errors = errors;
  }
}

/**
 * Well-formed input that the domain cannot act on (a point outside a zone, a transfer beyond
 * the balance). `code` names the rule when clients may branch on it (insufficient_funds).
 */
export class Unprocessable extends AppError {
  readonly status = 422;
  readonly title = 'Unprocessable request';
  readonly errors: readonly FieldProblem[];

  constructor(errors: readonly FieldProblem[], options: AppErrorOptions & { code?: string } = {}) {
    const { code = 'unprocessable', ...rest } = options;
    super(code, errors.map((e) => `${e.field}: ${e.detail}`).join('; '), rest);
    this.errors = errors;
  }
}

export class NotFound extends AppError {
  readonly status = 404;
  readonly title = 'Not found';
}

export class Conflict extends AppError {
  readonly status = 409;
  readonly title = 'Conflict';
}

export class TooLarge extends AppError {
  readonly status = 413;
  readonly title = 'Content too large';
}

/** The path exists, but not for this method; the answer carries `Allow`. */
export class MethodNotAllowed extends AppError {
  readonly status = 405;
  readonly title = 'Method not allowed';
  readonly allow: readonly string[];

  constructor(method: string, path: string, allow: readonly string[]) {
    super('method_not_allowed', `${path} answers ${allow.join(', ')}, not ${method}`, {
      extensions: { allow },
    });
    this.allow = allow;
  }
}

export class UnsupportedMediaType extends AppError {
  readonly status = 415;
  readonly title = 'Unsupported media type';
}

/** 412: a precondition (If-Match, If-Unmodified-Since) names a version the resource is not at. */
export class PreconditionFailed extends AppError {
  readonly status = 412;
  readonly title = 'Precondition failed';
}

/** 416: a Range outside the representation; the answer should carry a Content-Range with its size. */
export class RangeNotSatisfiable extends AppError {
  readonly status = 416;
  readonly title = 'Range not satisfiable';
}

/** 507: the store is full. Nothing was stored, and nothing stored was evicted to make room. */
export class InsufficientStorage extends AppError {
  readonly status = 507;
  readonly title = 'Insufficient storage';
}

export class Unavailable extends AppError {
  readonly status = 503;
  readonly title = 'Service unavailable';
}

/** One choice per line is too much for a message; a long list is cut. */
function oneOf(values: readonly unknown[]): string {
  const named = values.slice(0, 30).map((value) => String(value));
  return `${named.join(', ')}${values.length > named.length ? ', …' : ''}`;
}

/**
 * Messages for people: "is required", "must be one of: …", rather than zod's "expected string,
 * received undefined". Issues without a rule here keep the schema's own message.
 */
function humanMessage(issue: $ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
    case 'invalid_value':
      return `must be one of: ${oneOf(issue.values)}`;
    case 'invalid_union': {
      const { options } = issue as { options?: readonly unknown[] };
      if (!options) return undefined;
      const given = (issue.input as Record<string, unknown> | undefined)?.[
        String(issue.path?.at(-1))
      ];
      return given === undefined
        ? `is required: one of ${oneOf(options)}`
        : `must be one of: ${oneOf(options)}`;
    }
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}`;
    default:
      return undefined;
  }
}

/** Parses `value` with `schema`, or throws Invalid naming each field that does not fit. */
export function parseOrThrow<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  where?: string,
): z.output<Schema> {
  const result = schema.safeParse(value, { error: humanMessage });
  if (result.success) return result.data;
  throw new Invalid(
    result.error.issues.map((issue) => ({
      field: [where, ...issue.path.map(String)].filter(Boolean).join('.') || '(root)',
      detail: issue.message,
    })),
  );
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

/**
 * How body-parser reports its own failures: `status` always, `type` for those it names. A body
 * whose compression is corrupt comes through as zlib's error with `status` 400 and no `type`.
 */
interface BodyParserError {
  type?: string;
  status: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof error === 'object' && error !== null && typeof status === 'number';
}

function fromBodyParser(error: BodyParserError): AppError | undefined {
  switch (error.type) {
    case 'entity.too.large':
      return new TooLarge('body_too_large', 'the request body is larger than this service accepts');
    case 'entity.parse.failed':
      return new Invalid([{ field: '(body)', detail: 'the body is not valid JSON' }]);
    case 'encoding.unsupported':
      return new UnsupportedMediaType(
        'unsupported_content_encoding',
        'send the body uncompressed, or as gzip, deflate or br',
      );
    case 'charset.unsupported':
      return new UnsupportedMediaType('unsupported_charset', 'send the body as UTF-8');
    case 'request.aborted':
      return new Invalid([{ field: '(body)', detail: 'the client aborted the request body' }]);
    default:
      return error.status >= 400 && error.status < 500
        ? new Invalid([
            {
              field: '(body)',
              detail: 'the body could not be read (is its Content-Encoding right?)',
            },
          ])
        : undefined;
  }
}

/**
 * The problem document the error middleware sends for `error` at `instance`; for a service
 * that stores an answer to send again later (an Idempotency-Key's replay).
 */
export function problemDocument(error: AppError, instance: string): ProblemDocument {
  const errors = error instanceof Invalid || error instanceof Unprocessable ? error.errors : [];
  return {
    type: `urn:quadrants:problem:${error.code}`,
    title: error.title,
    status: error.status,
    detail: error.message,
    instance,
    code: error.code,
    ...(errors.length > 0 ? { errors } : {}),
    ...error.extensions,
  };
}

export function sendProblem(res: Parameters<RequestHandler>[1], problem: ProblemDocument): void {
  res.status(problem.status).type(PROBLEM_CONTENT_TYPE).json(problem);
}

/** The one place errors become HTTP. A 5xx keeps its message in the log, never in the body. */
export const problemHandler: ErrorRequestHandler = (error: unknown, req, res, next) => {
  if (res.headersSent) {
    next(error);
    return;
  }
  const known =
    error instanceof AppError
      ? error
      : error instanceof URIError
        ? // the router could not percent-decode a path parameter (/baskets/%ZZ)
          new Invalid([{ field: '(path)', detail: 'is not valid percent-encoding' }])
        : isBodyParserError(error)
          ? fromBodyParser(error)
          : undefined;
  // An extension member (RFC 9457 §3.2) a page can show as "quote this id": it finds every log
  // line of the journey, in every service. Last, so that no error's own extensions replace it.
  const trace = req.trace ? { traceId: req.trace.traceId } : {};
  if (known) {
    if (known instanceof MethodNotAllowed) res.setHeader('Allow', known.allow.join(', '));
    if (known.status >= 500) req.log.error({ err: error }, 'request failed');
    sendProblem(res, { ...problemDocument(known, req.originalUrl), ...trace });
    return;
  }
  req.log.error({ err: error }, 'unhandled error');
  sendProblem(res, {
    type: 'about:blank',
    title: 'Internal Server Error',
    status: 500,
    detail: `see the logs for request ${String(req.id)}`,
    instance: req.originalUrl,
    ...trace,
  });
};
