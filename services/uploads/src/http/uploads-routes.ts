// The HTTP face of uploads: read the multipart body into tmp/ (multipart.ts), decide with the
// domain, commit through the store, and answer; serve stored bytes with the headers a cache
// and a download manager need. Thin: the rules live in domain/ and data/.
import {
  fingerprint,
  Invalid,
  KEY_PATTERN,
  KeyReused,
  PreconditionFailed,
  parseOrThrow,
  RangeNotSatisfiable,
  type StoredResponse,
  TooLarge,
} from '@quadrants/service-kit';
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { KeyClaim, KeyStore } from '../data/key-store.ts';
import type { ObjectStore } from '../data/object-store.ts';
import { sanitiseFileName, type Upload, UploadNotFound } from '../domain/uploads.ts';
import { BadIdempotencyKey } from './errors.ts';
import { type MultipartOptions, receivedFile, uploadReader } from './multipart.ts';

export interface UploadsRoutesOptions extends Omit<MultipartOptions, 'store'> {
  store: ObjectStore;
  keys: KeyStore;
}

/** No C0 control characters (NUL among them) but tab, CR and LF, and no DEL. */
function isText(value: string): boolean {
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f) {
      return false;
    }
  }
  return true;
}

const fieldsSchema = z.record(
  z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a field name is letters, digits, ".", "_" or "-"'),
  z
    .string({ error: 'send each field once, as text' })
    .refine(isText, 'must be text: no control characters but tab and line breaks'),
);

/** Room in a request beyond the file: the fields, their part headers and the boundaries. */
const ENVELOPE_BYTES = 64 * 1024;

function uploadUrl(id: string) {
  return `/uploads/${id}`;
}

function answer(upload: Upload, created: boolean): StoredResponse {
  return {
    status: created ? 201 : 200,
    headers: { Location: uploadUrl(upload.id), ETag: `"${upload.id}"` },
    body: upload,
  };
}

function send(res: Response, { status, headers, body }: StoredResponse, replayed: boolean): void {
  res.status(status).set(headers);
  if (replayed) res.setHeader('Idempotent-Replayed', 'true');
  res.json(body);
}

/** RFC 6266 Content-Disposition with the kept name, ASCII fallback and UTF-8 form. */
function disposition(upload: Upload): string {
  const kind = upload.type.startsWith('image/') ? 'inline' : 'attachment';
  const ascii = upload.name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(upload.name)}`;
}

/**
 * A request's Cache-Control speaks to caches (RFC 9111 §5.2.1); the origin evaluates
 * If-None-Match and If-Modified-Since whatever it says (RFC 9110 §13.2.1). fetch() sends
 * `no-cache` with every conditional request, which would otherwise turn each 304 into a 200.
 */
function preconditionsOnly(req: Request): void {
  delete req.headers['cache-control'];
}

/**
 * What send (behind res.sendFile) gets wrong of RFC 9110, put right before it runs: If-Match
 * compares strongly (§13.1.1), so a weak tag never matches and answers 412; a weak If-Range
 * never matches either (§13.1.5), so the whole file is sent; and a range unit is
 * case-insensitive (§14.1).
 */
function strictPreconditions(req: Request, etag: string): void {
  const ifMatch = req.headers['if-match'];
  if (ifMatch !== undefined && ifMatch.trim() !== '*') {
    const tags = ifMatch.split(',').map((tag) => tag.trim());
    if (!tags.includes(etag)) {
      throw new PreconditionFailed(
        'precondition_failed',
        'the upload does not match If-Match (compared strongly: a weak tag never matches)',
      );
    }
  }
  const ifRange = req.headers['if-range'];
  if (typeof ifRange === 'string' && ifRange.trim().startsWith('W/')) delete req.headers.range;
  const range = req.headers.range;
  if (range !== undefined) req.headers.range = range.replace(/^\s*bytes\s*=/i, 'bytes=');
}

export function uploadsRoutes(options: UploadsRoutesOptions): Router {
  const { store, keys, maxFileSize } = options;
  const reader = uploadReader(options);
  const router = express.Router();

  router.post('/uploads', async (req, res) => {
    const key = req.headers['idempotency-key'];
    if (key !== undefined && (Array.isArray(key) || !KEY_PATTERN.test(key))) {
      throw new BadIdempotencyKey();
    }
    const declared = Number(req.headers['content-length']);
    if (declared > maxFileSize + ENVELOPE_BYTES) {
      throw new TooLarge('file_too_large', `the file is larger than ${maxFileSize} bytes`, {
        extensions: { limit: maxFileSize },
      });
    }

    // A client that goes away while the key is being taken: multer, which starts after, would
    // never hear of it and wait for a body that is not coming, with the key held.
    let gone = false;
    req.once('close', () => {
      gone = !req.complete;
    });
    let claim: KeyClaim | undefined;
    let staged: string | undefined;
    // Sent only once the key is released (below): a client that sends its next request the
    // moment it has this answer must find the key free, not in use (409), on any replica.
    let reply: { response: StoredResponse; replayed: boolean } | undefined;
    try {
      // Before the body: a second request with a key in flight is refused (409) without being
      // processed; its body is read and dropped first (errors.ts).
      if (key !== undefined) claim = await keys.claim(key);
      if (gone || req.destroyed) return;
      await reader.read(req, res);
      const file = receivedFile(req);
      staged = file?.path;
      if (file === undefined) {
        throw new Invalid(
          [{ field: 'file', detail: 'is required: send the file in a part named "file"' }],
          { code: 'file_missing' },
        );
      }
      const fields = parseOrThrow(fieldsSchema, { ...req.body }, 'fields');
      const print = fingerprint({
        sha256: file.id,
        name: file.originalname,
        type: file.mimetype,
        fields,
      });
      if (claim?.stored) {
        if (claim.stored.fingerprint !== print) throw new KeyReused();
        reply = { response: claim.stored.response, replayed: true };
        return;
      }
      const { created, upload } = await store.commit(file, {
        name: sanitiseFileName(file.originalname),
        type: file.type,
        fields,
      });
      req.log.info(
        { uploadId: upload.id, size: upload.size, created },
        created ? 'upload stored' : 'upload already stored',
      );
      let response = answer(upload, created);
      if (claim) {
        try {
          const kept = await claim.complete({ fingerprint: print, response });
          if (kept.fingerprint !== print) throw new KeyReused();
          response = kept.response;
        } catch (error) {
          if (error instanceof KeyReused) throw error;
          // The upload is stored, and saying otherwise would be false. Without its answer
          // under the key, a retry is still harmless: the same bytes answer 200, same id.
          req.log.warn(
            { err: error, uploadId: upload.id },
            'the Idempotency-Key answer could not be stored',
          );
        }
      }
      reply = { response, replayed: false };
    } finally {
      await reader.settled(req);
      if (staged !== undefined) await store.discard(staged);
      await claim?.release();
      if (reply !== undefined) send(res, reply.response, reply.replayed);
    }
  });

  router.get('/uploads/:id/meta', async (req, res) => {
    const { upload } = await store.find(req.params.id);
    preconditionsOnly(req);
    res.setHeader('ETag', `"${upload.id}"`);
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    res.json(upload);
  });

  // GET and HEAD (express routes HEAD to GET): Range, If-None-Match, If-Modified-Since and
  // If-Range are send's, against the ETag set here; strictPreconditions puts right what send
  // gets wrong of them.
  router.get('/uploads/:id', async (req, res, next) => {
    const { upload, path } = await store.find(req.params.id);
    preconditionsOnly(req);
    strictPreconditions(req, `"${upload.id}"`);
    res.setHeader('Content-Type', upload.type);
    res.setHeader('ETag', `"${upload.id}"`);
    // Content-addressed: the bytes under an id never change.
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.setHeader('Content-Disposition', disposition(upload));
    // Never run as a page, whatever the bytes are.
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    res.sendFile(
      path,
      // dotfiles: the path is the store's own (UPLOADS_DIR may well be under .data/), and the
      // id in it was checked against UPLOAD_ID.
      {
        etag: false,
        lastModified: true,
        acceptRanges: true,
        cacheControl: false,
        dotfiles: 'allow',
      },
      (error?: Error & { status?: number; code?: string }) => {
        if (error === undefined || res.headersSent) return;
        res.removeHeader('Content-Disposition');
        res.removeHeader('Cache-Control');
        if (error.status === 412) {
          next(
            new PreconditionFailed(
              'precondition_failed',
              'the upload does not match If-Match or If-Unmodified-Since',
            ),
          );
        } else if (error.status === 416) {
          next(
            new RangeNotSatisfiable(
              'range_not_satisfiable',
              `the upload has ${upload.size} bytes; ask for a range within them`,
            ),
          );
        } else if (error.code === 'ENOENT') {
          next(new UploadNotFound(upload.id));
        } else if (error.code === 'ECONNABORTED' || error.code === 'ECONNRESET') {
          // the client went away mid-download: nothing to answer
        } else {
          // Not a refusal of the request (send's `status` would make it read as one): a 500.
          next(new Error(`serving ${upload.id} failed: ${error.message}`, { cause: error }));
        }
      },
    );
  });

  return router;
}
