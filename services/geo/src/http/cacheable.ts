import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';

/**
 * Answers a GET whose answer depends only on its URL: a strong ETag from the body, a day of
 * caching, and 304 when the client already holds this body.
 */
export function sendCacheable(req: Request, res: Response, value: unknown): void {
  const body = JSON.stringify(value);
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  res.set({ ETag: etag, 'Cache-Control': 'public, max-age=86400' });
  if (req.fresh) {
    res.status(304).end();
    return;
  }
  res.type('application/json').send(body);
}
