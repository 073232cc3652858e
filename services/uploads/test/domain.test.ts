/** The domain's rules on their own: kept names and the type an upload is kept as. */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  decideType,
  MAX_NAME_BYTES,
  sanitiseFileName,
  TypeRefused,
} from '../src/domain/uploads.ts';

describe('sanitiseFileName', () => {
  test.each([
    ['report.pdf', 'report.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\me\\photo.jpg', 'photo.jpg'],
    ['dir/', 'upload'],
    ['', 'upload'],
    [undefined, 'upload'],
    ['...', 'upload'],
    ['.bashrc', 'bashrc'],
    ['name. . .', 'name'],
    ['tab\there', 'tabhere'],
    ['e\u0301', 'é'],
    ['a\u202Eexe.pdf', 'aexe.pdf'],
  ])('%j is kept as %j', (raw, kept) => {
    expect(sanitiseFileName(raw)).toBe(kept);
  });

  test('whatever it is given, the name is no path, has no control character and fits 255 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 2_000 }), (raw) => {
        const name = sanitiseFileName(raw);
        expect(name).not.toMatch(/[/\\]/);
        expect(name).not.toMatch(/^\./);
        expect([...name].every((c) => (c.codePointAt(0) ?? 0) >= 0x20)).toBe(true);
        expect(Buffer.byteLength(name)).toBeLessThanOrEqual(MAX_NAME_BYTES);
        expect(name.length).toBeGreaterThan(0);
      }),
    );
  });
});

describe('decideType', () => {
  const allowed = ['image/png', 'text/plain', 'application/pdf'];
  const recognisable = new Set(['image/png', 'application/pdf', 'image/jpeg']);
  const decide = (declared: string | undefined, sniffed?: string) =>
    decideType({ declared, sniffed, allowed, recognisable });
  const refusal = (declared: string | undefined, sniffed?: string) => {
    try {
      decide(declared, sniffed);
    } catch (error) {
      if (error instanceof TypeRefused) return error.code;
      throw error;
    }
    return 'kept';
  };

  test('declared and seen alike: kept as that', () => {
    expect(decide('image/png', 'image/png')).toBe('image/png');
  });
  test('parameters and case do not matter', () => {
    expect(decide('Text/Plain; charset=utf-8')).toBe('text/plain');
  });
  test('text has no signature: kept as declared', () => {
    expect(decide('text/plain')).toBe('text/plain');
  });
  test('octet-stream takes the type the bytes show', () => {
    expect(decide('application/octet-stream', 'image/png')).toBe('image/png');
    expect(decide(undefined, 'application/pdf')).toBe('application/pdf');
  });
  test('octet-stream with nothing recognisable is refused unless octet-stream is allowed', () => {
    expect(refusal('application/octet-stream')).toBe('type_not_allowed');
    expect(
      decideType({
        declared: undefined,
        sniffed: undefined,
        allowed: ['application/octet-stream'],
        recognisable,
      }),
    ).toBe('application/octet-stream');
  });
  test('with octet-stream allowed, anything declared octet-stream is taken: as what it shows if allowed', () => {
    const anything = [...allowed, 'application/octet-stream'];
    const keep = (sniffed?: string) =>
      decideType({
        declared: 'application/octet-stream',
        sniffed,
        allowed: anything,
        recognisable,
      });
    expect(keep('application/zip')).toBe('application/octet-stream');
    expect(keep('image/png')).toBe('image/png');
    expect(keep(undefined)).toBe('application/octet-stream');
    expect(() =>
      decideType({
        declared: 'application/zip',
        sniffed: 'application/zip',
        allowed: anything,
        recognisable,
      }),
    ).toThrow(TypeRefused);
  });
  test('a type not allowed is refused, whatever the bytes', () => {
    expect(refusal('text/html')).toBe('type_not_allowed');
    expect(refusal('application/octet-stream', 'application/x-elf')).toBe('type_not_allowed');
  });
  test('bytes of another type contradict the declaration', () => {
    expect(refusal('text/plain', 'image/png')).toBe('type_mismatch');
    expect(refusal('image/png', 'application/pdf')).toBe('type_mismatch');
  });
  test('a recognisable type whose signature is missing is a mismatch', () => {
    expect(refusal('image/png')).toBe('type_mismatch');
  });
});
