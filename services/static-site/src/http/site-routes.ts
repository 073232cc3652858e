import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { NotFound, RangeNotSatisfiable, Unavailable } from '@quadrants/service-kit';
import express, { type Request, type Response, type Router } from 'express';
import { REVALIDATE, type Representation, type Site, type SiteFile } from '../content/site.ts';
import { type Coding, chooseCoding } from './encoding.ts';
import { siteKey } from './paths.ts';

export interface SiteRoutesOptions {
  /** The release being served, or undefined until the first complete one is loaded. */
  site: () => Site | undefined;
  /** Serve /index.html for a browser's unknown extensionless path (a single-page app's route). */
  spaFallback: boolean;
}

/** The release document at /_static/release: what this replica serves, file by file. */
export function releaseDocument(site: Site) {
  const { manifest } = site;
  return {
    release: manifest.release,
    bucket: manifest.bucket,
    prefix: manifest.prefix,
    syncedAt: manifest.syncedAt,
    objects: manifest.objects,
    bytes: manifest.bytes,
    skipped: manifest.skipped,
    files: Object.fromEntries(
      Object.entries(manifest.files).map(([key, { size, sha256 }]) => [key, { size, sha256 }]),
    ),
  };
}

/** The encoded form the client takes, preferring Brotli; the file as it is when it takes none. */
function negotiate(req: Request, file: SiteFile): { form: Representation; encoding?: string } {
  if (!file.br && !file.gzip) return { form: file.identity };
  const available: Coding[] = [];
  if (file.br) available.push('br');
  if (file.gzip) available.push('gzip');
  available.push('identity');
  // When nothing is acceptable, the file as it is: a 406 would help no one (RFC 9110 §12.5.3).
  const chosen = chooseCoding(req.get('Accept-Encoding'), available);
  if (chosen === 'br' && file.br) return { form: file.br, encoding: 'br' };
  if (chosen === 'gzip' && file.gzip) return { form: file.gzip, encoding: 'gzip' };
  return { form: file.identity };
}

/**
 * Whether a Range applies (RFC 9110 §13.1.5): without If-Range always; with it only when it is
 * the representation's strong ETag or exactly its Last-Modified date. Otherwise the whole file.
 */
function rangeApplies(req: Request, form: Representation, lastModified: string): boolean {
  const ifRange = req.get('If-Range');
  if (ifRange === undefined) return true;
  if (ifRange.startsWith('"')) return ifRange === form.etag;
  if (ifRange.startsWith('W/')) return false;
  const date = Date.parse(ifRange);
  return !Number.isNaN(date) && date === Date.parse(lastModified);
}

async function sendBody(
  res: Response,
  form: Representation,
  start: number,
  end: number,
): Promise<void> {
  if (form.body) {
    res.end(start === 0 && end === form.size - 1 ? form.body : form.body.subarray(start, end + 1));
    return;
  }
  await pipeline(createReadStream(form.path, { start, end }), res);
}

/**
 * Answers with `file`: content type, validators, 304 when the client's copy is current, one
 * byte range when asked (several are answered with the whole file, which RFC 9110 allows), and
 * the precompressed form the client accepts. The 404 page goes out with `status` 404, unranged.
 */
async function serveFile(req: Request, res: Response, file: SiteFile, status = 200) {
  const { form, encoding } = negotiate(req, file);
  res.status(status);
  res.setHeader('Content-Type', file.contentType);
  if (file.contentType.startsWith('text/html'))
    res.setHeader('Content-Security-Policy', pagePolicy(req));
  if (file.br || file.gzip) res.setHeader('Vary', 'Accept-Encoding');
  if (encoding) res.setHeader('Content-Encoding', encoding);
  if (status !== 200) {
    res.setHeader('Cache-Control', REVALIDATE);
    res.setHeader('Content-Length', form.size);
    if (req.method === 'HEAD') res.end();
    else await sendBody(res, form, 0, form.size - 1);
    return;
  }
  res.setHeader('Cache-Control', file.cacheControl);
  res.setHeader('ETag', form.etag);
  res.setHeader('Last-Modified', file.lastModified);
  res.setHeader('Accept-Ranges', 'bytes');
  if (req.fresh) {
    res.status(304).end();
    return;
  }
  let [start, end] = [0, form.size - 1];
  if (
    req.headers.range !== undefined &&
    form.size > 0 &&
    rangeApplies(req, form, file.lastModified)
  ) {
    const ranges = req.range(form.size, { combine: true });
    if (ranges === undefined) throw new Error('unreachable: a Range header was present');
    if (ranges === -1) {
      // An error, not the file: no validators or caching of the file's go with it.
      for (const name of ['Cache-Control', 'ETag', 'Last-Modified']) res.removeHeader(name);
      res.setHeader('Content-Range', `bytes */${form.size}`);
      throw new RangeNotSatisfiable(
        'range_not_satisfiable',
        `the range ${req.headers.range} starts past the end of the ${form.size} bytes`,
      );
    }
    // A malformed Range (-2), another unit or several ranges: the whole file, as 200.
    const [only] = ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1 ? [] : ranges;
    if (only) {
      [start, end] = [only.start, only.end];
      res.status(206);
      res.setHeader('Content-Range', `bytes ${start}-${end}/${form.size}`);
    }
  }
  res.setHeader('Content-Length', end - start + 1);
  if (req.method === 'HEAD') res.end();
  else await sendBody(res, form, start, end);
}

/** `/a/b/` for the folder `a/b`, each segment encoded again. */
function folderLocation(req: Request, key: string): string {
  const path = `/${key.split('/').map(encodeURIComponent).join('/')}/`;
  const query = req.originalUrl.indexOf('?');
  return query === -1 ? path : path + req.originalUrl.slice(query);
}

/** A host name or IP literal, as it may stand in a CSP source expression. */
const HOST = /^(?:[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*|\[[0-9A-Fa-f:.]+\])$/;

/**
 * The site's Content-Security-Policy: helmet's, without `upgrade-insecure-requests` (the
 * landing page runs on plain http://localhost), and with `connect-src` open to the page's own
 * host on any port, where the sibling services answer; its status dots ask their /readyz.
 */
function pagePolicy(req: Request): string {
  const host = req.hostname;
  const siblings = host && HOST.test(host) ? ` http://${host}:* https://${host}:*` : '';
  return [
    "default-src 'self'",
    "base-uri 'self'",
    `connect-src 'self'${siblings}`,
    "font-src 'self' data:",
    "form-action 'self'",
    "frame-ancestors 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "script-src 'self'",
    "script-src-attr 'none'",
    "style-src 'self'",
  ].join('; ');
}

function wantsHtml(req: Request): boolean {
  return req.accepts(['json', 'html']) === 'html';
}

/**
 * The site's routes: the release document, and every other GET or HEAD looked up in the index of
 * the release being served. No path ever reaches the filesystem except as a key of that index,
 * and a folder is never listed.
 */
export function siteRoutes({ site, spaFallback }: SiteRoutesOptions): Router {
  const router = express.Router();
  let documentFor: { site: Site; json: string } | undefined;

  router.get('/_static/release', (_req, res) => {
    const current = site();
    if (!current)
      throw new Unavailable('not_synced', 'no complete copy of the site has been loaded yet');
    if (documentFor?.site !== current) {
      documentFor = { site: current, json: JSON.stringify(releaseDocument(current)) };
    }
    res.setHeader('Cache-Control', 'no-store');
    res.type('json').send(documentFor.json);
  });

  // A RegExp route (no parameters, so express decodes nothing): every path, GET and HEAD.
  router.get(/^\/.*/, async (req, res) => {
    const current = site();
    if (!current)
      throw new Unavailable('not_synced', 'no complete copy of the site has been loaded yet');
    const key = siteKey(req.path);
    const reserved = key.startsWith('_static/');
    const wanted = key === '' || key.endsWith('/') ? `${key}index.html` : key;
    const file = reserved ? undefined : current.files.get(wanted);
    if (file) {
      await serveFile(req, res, file);
      return;
    }
    if (!reserved && current.folders.has(key) && current.files.has(`${key}/index.html`)) {
      res.redirect(301, folderLocation(req, key));
      return;
    }
    const html = wantsHtml(req);
    const last = key.split('/').pop() ?? '';
    const index = current.files.get('index.html');
    if (spaFallback && html && index && !reserved && !last.includes('.')) {
      await serveFile(req, res, { ...index, cacheControl: REVALIDATE });
      return;
    }
    const page = current.files.get('404.html');
    if (html && page) {
      await serveFile(req, res, page, 404);
      return;
    }
    throw new NotFound('not_found', `${req.path} is not part of the site`);
  });
  return router;
}
