import { Invalid } from '@quadrants/service-kit';

/**
 * The site key a request path names, as `a/b.html` (the empty string for `/`), or an Invalid
 * error naming what is wrong. The path is never joined onto a directory: it is looked up in the
 * release's index, so a path can only ever reach a file the sync wrote. Still, anything that is
 * not a plain path is refused outright, so that probes for traversal get a clear 400, not a 404
 * that invites another try:
 *   - percent-encoding that is not UTF-8 (`%c0%ae`, an overlong "."; `%ff`; a lone `%`);
 *   - NUL and other control characters, encoded or not;
 *   - a backslash, encoded or not (a separator on Windows, and in some proxies);
 *   - a `.` or `..` segment, encoded or not (`%2e%2e`).
 * A double-encoded `%252e%252e` decodes once, to the literal name `%2e%2e`, which is no segment
 * of any key the sync accepts: it is simply not found.
 */
export function siteKey(rawPath: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    throw new Invalid([{ field: 'path', detail: 'is not valid percent-encoded UTF-8' }], {
      code: 'invalid_path',
    });
  }
  const problem = pathProblem(decoded);
  if (problem) throw new Invalid([{ field: 'path', detail: problem }], { code: 'invalid_path' });
  return decoded.slice(1);
}

function pathProblem(decoded: string): string | undefined {
  if (!decoded.startsWith('/')) return 'must start with /';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  if (/[\u0000-\u001f\u007f]/.test(decoded)) return 'must not hold NUL or other control characters';
  if (decoded.includes('\\')) return 'must not hold a backslash';
  if (decoded.split('/').some((segment) => segment === '.' || segment === '..')) {
    return 'must not hold a "." or ".." segment';
  }
  return undefined;
}
