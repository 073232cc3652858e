import { Invalid } from '@quadrants/service-kit';

// Opaque to clients, so the position it holds (an entry id, a transfer's sequence number) can
// change meaning in a later version without breaking anyone: "v1." marks this one.
export function encodeCursor(position: string): string {
  return Buffer.from(`v1.${position}`).toString('base64url');
}

/** The position a cursor holds, or undefined for none; Invalid for one this API never gave. */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const match = /^v1\.(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match?.[1] || BigInt(match[1]) > 9_223_372_036_854_775_807n) {
    throw new Invalid([{ field: 'cursor', detail: 'is not a cursor this API gave' }]);
  }
  return match[1];
}
