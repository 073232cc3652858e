import { type ApiError, journeyTraceId, parseProblem, traceparent } from './lib.ts';

export type Quadrant = 'A' | 'B' | 'B′' | 'C' | 'D';

export class HttpError extends Error {
  readonly problem: ApiError;
  constructor(problem: ApiError) {
    super(problem.detail);
    this.problem = problem;
  }
}

/** Every call of the shop: same origin, the journey's trace, a fresh parent-id per fetch. */
export async function call<T>(
  path: string,
  init: RequestInit & { idempotencyKey?: string } = {},
): Promise<{ body: T; status: number; headers: Headers }> {
  const headers = new Headers(init.headers);
  headers.set('traceparent', traceparent(journeyTraceId(sessionStorage)));
  headers.set('accept', 'application/json, application/problem+json');
  if (init.idempotencyKey !== undefined) headers.set('idempotency-key', init.idempotencyKey);
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers });
  } catch {
    throw new HttpError(parseProblem(0, '', null));
  }
  const text = await res.text();
  if (!res.ok) throw new HttpError(parseProblem(res.status, text, res.headers.get('traceparent')));
  return {
    body: (text === '' ? undefined : JSON.parse(text)) as T,
    status: res.status,
    headers: res.headers,
  };
}

export function json(method: string, body: unknown): RequestInit {
  return { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
