/** Stands for a line longer than the limit; its bytes are dropped, not buffered. */
export const LINE_TOO_LONG = Symbol('line too long');

export interface Line {
  /** 1 for the first line of the body, blank lines counted. */
  number: number;
  text: string | typeof LINE_TOO_LONG;
}

/**
 * Splits a byte stream into lines, in constant memory: at most `maxLineBytes` of one line are
 * ever held. Yields the complete lines of each chunk together, so the consumer can answer them
 * with one write. Blank lines are counted but not yielded; a trailing \r is dropped.
 */
export async function* ndjsonLines(
  source: AsyncIterable<Buffer>,
  maxLineBytes: number,
): AsyncGenerator<Line[]> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overflow = false;
  let number = 0;

  const take = (): Line | undefined => {
    number++;
    const text = overflow
      ? LINE_TOO_LONG
      : Buffer.concat(pending, pendingBytes).toString('utf8').replace(/\r$/, '');
    pending = [];
    pendingBytes = 0;
    overflow = false;
    return text === LINE_TOO_LONG || text.trim() !== '' ? { number, text } : undefined;
  };

  for await (const chunk of source) {
    const lines: Line[] = [];
    let start = 0;
    while (start <= chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      if (!overflow) {
        if (pendingBytes + (end - start) > maxLineBytes) {
          overflow = true;
          pending = [];
          pendingBytes = 0;
        } else if (end > start) {
          pending.push(chunk.subarray(start, end));
          pendingBytes += end - start;
        }
      }
      if (newline === -1) break;
      const line = take();
      if (line !== undefined) lines.push(line);
      start = newline + 1;
    }
    if (lines.length > 0) yield lines;
  }
  const last = pendingBytes > 0 || overflow ? take() : undefined;
  if (last !== undefined) yield [last];
}
