/** Stands for a line longer than the limit; its bytes are dropped, not buffered. */
export const LINE_TOO_LONG = Symbol('line too long');

/** Stands for the line reading stopped at: `stop` aborted, and nothing from here on was read. */
export const STOPPED = Symbol('stopped');

export interface Line {
  /** 1 for the first line of the body, blank lines counted. */
  number: number;
  text: string | typeof LINE_TOO_LONG | typeof STOPPED;
}

const LF = 0x0a;
const CR = 0x0d;

/** The line's text, less one trailing \r. */
function decode(bytes: Buffer, start: number, end: number): string {
  return bytes.toString('utf8', start, end > start && bytes[end - 1] === CR ? end - 1 : end);
}

/** Whitespace only. Most lines start with `{`, which settles it without trim's copy. */
function isBlank(text: string): boolean {
  const first = text.charCodeAt(0);
  return text.length === 0 || ((first <= 0x20 || first >= 0x7f) && text.trim() === '');
}

/**
 * Splits a byte stream into lines, in constant memory: at most `maxLineBytes` of one line are
 * ever held. Yields the complete lines of each chunk together, so the consumer can answer them
 * with one write. Blank lines are counted but not yielded; a trailing \r is dropped. A line that
 * lies within one chunk is decoded from it in place; only one split across chunks is copied.
 */
export async function* ndjsonLines(
  source: AsyncIterable<Buffer>,
  maxLineBytes: number,
  stop?: AbortSignal,
): AsyncGenerator<Line[]> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overflow = false;
  let number = 0;

  /** Ends the line whose last piece is bytes[start, end). */
  const take = (bytes: Buffer, start: number, end: number): Line | undefined => {
    number++;
    let text: Line['text'] = LINE_TOO_LONG;
    if (!overflow && pendingBytes === 0) text = decode(bytes, start, end);
    else if (!overflow) {
      pending.push(bytes.subarray(start, end));
      const whole = Buffer.concat(pending, pendingBytes + end - start);
      text = decode(whole, 0, whole.length);
    }
    pending = [];
    pendingBytes = 0;
    overflow = false;
    return text === LINE_TOO_LONG || !isBlank(text) ? { number, text } : undefined;
  };

  // When `stop` aborts, reading ends at once, even while the client sends nothing: the line in
  // progress is dropped and a STOPPED line names it, so the client knows where to resume.
  const chunks = source[Symbol.asyncIterator]();
  const stopped = new Promise<typeof STOPPED>((resolve) => {
    if (stop?.aborted) resolve(STOPPED);
    stop?.addEventListener('abort', () => resolve(STOPPED), { once: true });
  });
  for (;;) {
    const next = stop?.aborted ? STOPPED : await Promise.race([chunks.next(), stopped]);
    if (next === STOPPED) {
      yield [{ number: number + 1, text: STOPPED }];
      return;
    }
    if (next.done) break;
    const chunk = next.value;
    const lines: Line[] = [];
    let start = 0;
    while (start <= chunk.length) {
      const newline = chunk.indexOf(LF, start);
      const end = newline === -1 ? chunk.length : newline;
      if (!overflow && pendingBytes + (end - start) > maxLineBytes) {
        overflow = true;
        pending = [];
        pendingBytes = 0;
      }
      if (newline === -1) {
        if (!overflow && end > start) {
          pending.push(chunk.subarray(start, end));
          pendingBytes += end - start;
        }
        break;
      }
      const line = take(chunk, start, end);
      if (line !== undefined) lines.push(line);
      start = newline + 1;
    }
    if (lines.length > 0) yield lines;
  }
  const last = pendingBytes > 0 || overflow ? take(Buffer.alloc(0), 0, 0) : undefined;
  if (last !== undefined) yield [last];
}
