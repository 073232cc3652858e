// W3C Trace Context (https://www.w3.org/TR/trace-context/): the kit reads `traceparent`, gives
// each request a span of its own and answers with both, so one trace-id follows a shopper's
// journey through every service's logs. Propagating one header is all the kit does with traces,
// so it is these few lines rather than the OpenTelemetry SDK: no spans are recorded or exported,
// and a dependency of that size would sit on every request to carry a string.
import { randomFillSync } from 'node:crypto';

/** The trace a request belongs to, and its own place in it. */
export interface TraceContext {
  /** 32 lowercase hex: the caller's trace-id, or a new one when none (or an invalid one) came. */
  traceId: string;
  /** 16 lowercase hex: this request's span, new for every request. */
  spanId: string;
  /** 16 lowercase hex: the caller's span (its parent-id), only when a valid traceparent came. */
  parentId?: string;
  /** 2 lowercase hex: the caller's sampled flag (Level 1 defines no other), `00` for a new trace. */
  flags: string;
}

export interface IncomingTrace {
  traceId: string;
  parentId: string;
  flags: string;
}

const FIELDS = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
// version, trace-id, parent-id and flags with their three dashes
const VERSION_00_LENGTH = 55;
const SAMPLED = 0x01;

/**
 * The fields of a `traceparent` value, or undefined when the specification says to ignore it
 * and start a new trace: not lowercase hex of the right widths, an all-zero trace-id or
 * parent-id, version `ff`, or version `00` with anything after the flags. A later version is
 * read as its first four fields, as the specification asks, provided what follows the flags
 * starts a field of its own (a dash). Two traceparent headers reach here joined by Node with
 * ", ", and so are refused too.
 */
export function parseTraceparent(value: unknown): IncomingTrace | undefined {
  if (typeof value !== 'string' || value.length < VERSION_00_LENGTH) return undefined;
  const fields = FIELDS.exec(value);
  if (!fields) return undefined;
  const [, version, traceId = '', parentId = '', flags = ''] = fields;
  if (version === 'ff') return undefined;
  if (value.length > VERSION_00_LENGTH && (version === '00' || value[VERSION_00_LENGTH] !== '-')) {
    return undefined;
  }
  if (traceId === ZERO_TRACE_ID || parentId === ZERO_SPAN_ID) return undefined;
  return { traceId, parentId, flags };
}

/** `00-<trace-id>-<span-id>-<flags>`: what the kit answers, and what a call onward would send. */
export function formatTraceparent(trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.flags}`;
}

/**
 * Makes each request's trace context from its `traceparent` header. Ids come from a buffer of
 * crypto-random bytes refilled 4 KB at a time (as Node's randomUUID does): a call into OpenSSL
 * per request would cost more than the rest of the kit's bookkeeping. The buffer belongs to the
 * factory's caller, one per app.
 */
export function createTraceContexts(): (header: unknown) => TraceContext {
  const pool = Buffer.alloc(4096);
  let used = pool.length;
  const randomId = (bytes: number, zero: string): string => {
    for (;;) {
      if (used + bytes > pool.length) {
        randomFillSync(pool);
        used = 0;
      }
      const id = pool.toString('hex', used, used + bytes);
      used += bytes;
      // all zeroes is not a valid id: 2^-64 for a span, never in practice, but cheap to rule out
      if (id !== zero) return id;
    }
  };

  return (header) => {
    const spanId = randomId(8, ZERO_SPAN_ID);
    const incoming = parseTraceparent(header);
    if (!incoming) return { traceId: randomId(16, ZERO_TRACE_ID), spanId, flags: '00' };
    // Level 1 reserves the other bits and asks vendors to send them as zero.
    const sampled = Number.parseInt(incoming.flags, 16) & SAMPLED;
    return {
      traceId: incoming.traceId,
      spanId,
      parentId: incoming.parentId,
      flags: sampled ? '01' : '00',
    };
  };
}
