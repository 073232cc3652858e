// The story of an upload, without HTTP or a filesystem: what its id is, what name and type it
// may keep, which media types it may have, and the ways one is refused. The storage rules
// (content address, atomic commit) are in data/object-store.ts.

/** An upload's id: the SHA-256 of its bytes, in lower-case hex. The same bytes, the same id. */
export const UPLOAD_ID = /^[0-9a-f]{64}$/;

/** What is kept beside each object and shown by GET /uploads/{id}/meta. */
export interface Upload {
  id: string;
  /** The original file name, sanitised: for showing and for Content-Disposition, never a path. */
  name: string;
  size: number;
  type: string;
  createdAt: string;
  /** The text parts sent beside the file. */
  fields: Record<string, string>;
}

/** The most a kept name may take, in UTF-8 bytes: what most filesystems allow in one name. */
export const MAX_NAME_BYTES = 255;

/** Bidirectional marks, overrides and isolates, which can make `evil‮fdp.exe` read as `evil.exe.pdf`. */
const BIDI = new Set([
  0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069,
]);

/** Not a control character (C0, DEL, C1: NUL among them) nor a direction mark. */
function printable(char: string): boolean {
  const code = char.codePointAt(0) ?? 0;
  return code >= 0x20 && !(code >= 0x7f && code <= 0x9f) && !BIDI.has(code);
}

/**
 * The name as it is kept: the last segment after any `/` or `\`, without control and
 * direction characters, NFC-normalised, without leading dots or trailing dots and spaces, and cut
 * to MAX_NAME_BYTES on a character boundary. A name with nothing left is `upload`. It is only
 * ever shown and put in headers; objects are stored under their id.
 */
export function sanitiseFileName(raw: string | undefined): string {
  const segment = (raw ?? '').split(/[/\\]/).at(-1) ?? '';
  let name = [...segment.normalize('NFC')]
    .filter(printable)
    .join('')
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    let kept = '';
    let bytes = 0;
    for (const char of name) {
      const size = Buffer.byteLength(char);
      if (bytes + size > MAX_NAME_BYTES) break;
      kept += char;
      bytes += size;
    }
    name = kept.replace(/[.\s]+$/, '');
  }
  return name === '' ? 'upload' : name;
}

/** The media type without parameters, lower-cased: `Text/Plain; charset=utf-8` → `text/plain`. */
export function essence(mediaType: string | undefined): string {
  return (mediaType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export const ANY_BYTES = 'application/octet-stream';

export interface TypeEvidence {
  /** The part's own Content-Type, as the client declared it. */
  declared: string | undefined;
  /** What the first bytes show (file-type's answer), if they show anything. */
  sniffed: string | undefined;
  /** Types the bytes could be recognised as: a declared one among them must be seen. */
  recognisable: ReadonlySet<string>;
  allowed: readonly string[];
}

/** The upload's media type is not one this service takes, or its bytes say otherwise. */
export class TypeRefused extends Error {
  readonly code: 'type_not_allowed' | 'type_mismatch';
  readonly declared: string;
  readonly sniffed: string | undefined;

  constructor(code: TypeRefused['code'], message: string, declared: string, sniffed?: string) {
    super(message);
    this.name = 'TypeRefused';
    this.code = code;
    this.declared = declared;
    this.sniffed = sniffed;
  }
}

/**
 * The type an upload is kept and served as. The declared type must be allowed; bytes that are
 * recognisably something else contradict it; a declared type that bytes of its kind always
 * show (image/png) must be seen in them. `application/octet-stream` declares nothing: the file
 * is kept as the type its bytes show, if that is allowed, or else as octet-stream, if that is.
 */
export function decideType({ declared, sniffed, recognisable, allowed }: TypeEvidence): string {
  const said = essence(declared) || ANY_BYTES;
  const seen = sniffed === undefined ? undefined : essence(sniffed);
  if (said === ANY_BYTES) {
    // Declared as nothing in particular: the bytes' own type if they show an allowed one, else
    // octet-stream itself if that is allowed (then anything is taken, and served as a download).
    if (seen !== undefined && allowed.includes(seen)) return seen;
    if (allowed.includes(ANY_BYTES)) return ANY_BYTES;
  }
  const type = said === ANY_BYTES && seen !== undefined ? seen : said;
  if (!allowed.includes(type)) {
    throw new TypeRefused(
      'type_not_allowed',
      `${type} is not accepted here; send one of: ${allowed.join(', ')}`,
      said,
      seen,
    );
  }
  if (seen !== undefined && seen !== type) {
    throw new TypeRefused(
      'type_mismatch',
      `the file is declared ${said}, but its content is ${seen}`,
      said,
      seen,
    );
  }
  if (seen === undefined && recognisable.has(type)) {
    throw new TypeRefused(
      'type_mismatch',
      `the file is declared ${said}, but its content is not ${said}`,
      said,
    );
  }
  return type;
}

/** No upload has this id (or the id is not one an upload could have). */
export class UploadNotFound extends Error {
  constructor(id: string) {
    super(`no upload has id ${id}`);
    this.name = 'UploadNotFound';
  }
}

/** The volume is full: the upload was not kept, and nothing stored was touched. */
export class StorageFull extends Error {
  constructor(cause: unknown) {
    super('the upload volume is full; nothing was stored', { cause });
    this.name = 'StorageFull';
  }
}

/** The volume cannot be read or written (unmounted, read-only, failing). */
export class StorageUnavailable extends Error {
  constructor(cause: unknown) {
    super('the upload volume cannot be used right now; nothing was stored', { cause });
    this.name = 'StorageUnavailable';
  }
}
