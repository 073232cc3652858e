// Builds the site static-site serves by default: copies services/static-site/site/ into
// dist/site/, renaming every file under assets/ to <name>.<hash8>.<ext> (the first 8 hex digits of
// the SHA-256 of its final bytes) and rewriting the references to them in the HTML and CSS files.
// The server sends a fingerprinted name with `Cache-Control: immutable` and everything else with
// `no-cache`, so a browser keeps an asset for a year and still sees a new release at once.
//
//   node scripts/build-site.ts [--source DIR] [--out DIR] [--mount PREFIX=DIR ...]
//
// A mount copies an app that its own bundler already built, unchanged, under PREFIX/ (the
// storefront's vite build, apps/storefront/dist, under shop/): it names its own assets by their
// hash, and the site's files and the mounts must not overlap.
//
// The output depends on the input bytes only (files in sorted order, no dates), so two builds of
// one tree are identical and the seed uploads nothing new. The build fails on a reference to a
// local file that does not exist, and on any file it could not place (a symbolic link, say).
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The folder whose files are fingerprinted, relative to the site's root. */
export const ASSETS = 'assets';

/**
 * Paths the server answers itself rather than from a file: a reference to one is not dangling.
 * They are static-site's routes (the release document, health, metrics).
 */
export const SERVER_ROUTES: readonly string[] = ['/_static/', '/readyz', '/healthz', '/metrics'];

/** Files whose references are rewritten. */
const HTML = /\.html?$/i;
const CSS = /\.css$/i;

export interface BuildOptions {
  /** The site's sources: services/static-site/site by default. */
  source: string;
  /** Where the site is written; emptied first. */
  out: string;
  /** Built trees copied as they are, each under its prefix (`shop` → `shop/…`). */
  mounts?: Record<string, string>;
}

export interface BuildResult {
  /** Every file written, relative to `out`, in sorted order. */
  files: string[];
  /** Each asset's path (relative to the root) and the fingerprinted path it was written to. */
  assets: Record<string, string>;
}

/** A reference split into the path it names and what follows it (`?query`, `#fragment`). */
interface Reference {
  path: string;
  suffix: string;
}

/** Every file under `root`, as posix paths relative to it, sorted; dotfiles are left out. */
async function listFiles(root: string, under = ''): Promise<string[]> {
  const entries = await readdir(join(root, under), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith('.')) continue;
    const path = under === '' ? entry.name : `${under}/${entry.name}`;
    if (entry.isDirectory()) files.push(...(await listFiles(root, path)));
    else if (entry.isFile()) files.push(path);
    else throw new Error(`build-site: ${path} is neither a file nor a folder (a symbolic link?)`);
  }
  return files;
}

const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

/** `assets/site.css` with hash `3f2a9c1e…` → `assets/site.3f2a9c1e.css`. */
export function fingerprinted(path: string, hash: string): string {
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  const short = hash.slice(0, 8);
  return dot > slash + 1 ? `${path.slice(0, dot)}.${short}${path.slice(dot)}` : `${path}.${short}`;
}

/** True for a reference that leaves the site: a scheme (`https:`, `data:`, `mailto:`) or `//host`. */
const external = (ref: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(ref) || ref.startsWith('//');

function split(ref: string): Reference {
  const at = ref.search(/[?#]/);
  return at === -1 ? { path: ref, suffix: '' } : { path: ref.slice(0, at), suffix: ref.slice(at) };
}

/** The site path (relative to the root, no leading slash) a reference from file `from` names. */
function target(from: string, path: string): string {
  const decoded = decodeURIComponent(path);
  const joined = decoded.startsWith('/')
    ? posix.normalize(decoded)
    : posix.join(posix.dirname(`/${from}`), decoded);
  return joined.replace(/^\/+/, '');
}

/** `&amp;` and the few other entities an attribute value may hold, decoded. */
const unescapeHtml = (value: string): string =>
  value
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');

/** The references in a file: attribute values for HTML, url() and @import for CSS. */
export function referencesIn(path: string, text: string): { start: number; ref: string }[] {
  const found: { start: number; ref: string }[] = [];
  const patterns = HTML.test(path)
    ? [/\b(?:src|href|poster)\s*=\s*(?:"([^"]*)"|'([^']*)')/dgi]
    : CSS.test(path)
      ? [
          /url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]+))\s*\)/dgi,
          /@import\s+(?:"([^"]*)"|'([^']*)')/dgi,
        ]
      : [];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) {
      const index = [1, 2, 3].find((group) => match[group] !== undefined);
      if (index === undefined) continue;
      // The `d` flag gives each group's own offsets.
      const start = match.indices?.[index]?.[0];
      if (start === undefined) continue;
      found.push({ start, ref: match[index] as string });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

/**
 * `text` with every reference to a renamed file pointed at its new name: only the last segment of
 * the reference changes, so absolute and relative references keep their form. Fails naming the
 * file and the reference when one names a local file that is not there.
 */
function rewrite(
  path: string,
  text: string,
  renamed: ReadonlyMap<string, string>,
  exists: (sitePath: string) => boolean,
): string {
  let out = '';
  let at = 0;
  for (const { start, ref } of referencesIn(path, text)) {
    const value = HTML.test(path) ? unescapeHtml(ref) : ref;
    if (value === '' || value.startsWith('#') || external(value)) continue;
    const { path: refPath, suffix } = split(value);
    if (refPath === '') continue;
    if (refPath.startsWith('/') && SERVER_ROUTES.some((route) => refPath.startsWith(route))) {
      continue;
    }
    const sitePath = target(path, refPath);
    const newPath = renamed.get(sitePath);
    if (newPath === undefined) {
      if (!exists(sitePath)) {
        throw new Error(`build-site: ${path} refers to ${ref}, and the site has no ${sitePath}`);
      }
      continue;
    }
    const lastSlash = refPath.lastIndexOf('/');
    const replaced = refPath.slice(0, lastSlash + 1) + posix.basename(newPath) + suffix;
    out += text.slice(at, start) + (HTML.test(path) ? replaced.replaceAll('&', '&amp;') : replaced);
    at = start + ref.length;
  }
  return out + text.slice(at);
}

/** True when `path` is `folder` or inside it. */
function within(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Builds the site from `source` into `out` (emptied first). */
export async function buildSite({ source, out, mounts = {} }: BuildOptions): Promise<BuildResult> {
  const root = resolve(source);
  const files = await listFiles(root);
  const mounted = new Map<string, Buffer>();
  for (const [prefix, dir] of Object.entries(mounts)) {
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(prefix)) {
      throw new Error(`build-site: the mount prefix ${prefix} is not one plain folder name`);
    }
    if (files.some((file) => file.startsWith(`${prefix}/`))) {
      throw new Error(`build-site: the site has files under ${prefix}/, where ${dir} is mounted`);
    }
    const tree = await listFiles(resolve(dir)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      throw new Error(
        `build-site: nothing to mount at ${prefix}/: ${dir} does not exist (build it first)`,
      );
    });
    if (!tree.includes('index.html')) {
      throw new Error(`build-site: ${dir}, mounted at ${prefix}/, has no index.html`);
    }
    for (const file of tree) mounted.set(`${prefix}/${file}`, await readFile(join(dir, file)));
  }
  const contents = new Map<string, Buffer>();
  for (const file of files) contents.set(file, await readFile(join(root, file)));

  // The site may link into a mount (the landing page to /shop/), so both count for a reference.
  const folders = new Set<string>();
  for (const file of [...files, ...mounted.keys()]) {
    const segments = file.split('/');
    for (let i = 1; i < segments.length; i++) folders.add(segments.slice(0, i).join('/'));
  }
  // A reference may name a file, a folder with an index.html, or the root ('' is the root).
  const exists = (sitePath: string): boolean => {
    const bare = sitePath.replace(/\/+$/, '');
    const has = (file: string) => contents.has(file) || mounted.has(file);
    if (has(bare)) return true;
    return (
      (bare === '' || folders.has(bare)) && has(bare === '' ? 'index.html' : `${bare}/index.html`)
    );
  };

  const renamed = new Map<string, string>();
  const output = new Map<string, Buffer>();
  const isAsset = (file: string) => file.startsWith(`${ASSETS}/`);

  // Assets that refer to nothing are named by their bytes first; then each stylesheet, once every
  // asset it refers to has its name, since its own hash covers the names it now holds.
  const pending = files.filter((file) => isAsset(file) && CSS.test(file));
  for (const file of files.filter((file) => isAsset(file) && !CSS.test(file))) {
    const bytes = contents.get(file) as Buffer;
    const name = fingerprinted(file, sha256(bytes));
    renamed.set(file, name);
    output.set(name, bytes);
  }
  while (pending.length > 0) {
    const ready = pending.findIndex((file) => {
      const text = (contents.get(file) as Buffer).toString('utf8');
      return referencesIn(file, text).every(({ ref }) => {
        const { path } = split(ref);
        if (path === '' || external(path) || path.startsWith('#')) return true;
        return !pending.includes(target(file, path)) || target(file, path) === file;
      });
    });
    if (ready === -1) {
      throw new Error(
        `build-site: stylesheets that import each other in a cycle: ${pending.join(', ')}`,
      );
    }
    const [file] = pending.splice(ready, 1) as [string];
    const text = rewrite(file, (contents.get(file) as Buffer).toString('utf8'), renamed, exists);
    const bytes = Buffer.from(text, 'utf8');
    const name = fingerprinted(file, sha256(bytes));
    renamed.set(file, name);
    output.set(name, bytes);
  }
  for (const file of files.filter((file) => !isAsset(file))) {
    const bytes = contents.get(file) as Buffer;
    output.set(
      file,
      HTML.test(file) || CSS.test(file)
        ? Buffer.from(rewrite(file, bytes.toString('utf8'), renamed, exists), 'utf8')
        : bytes,
    );
  }

  for (const [file, bytes] of mounted) output.set(file, bytes);

  const target_ = resolve(out);
  if (within(target_, root) || within(root, target_)) {
    throw new Error(`build-site: the output ${target_} and the source ${root} must not overlap`);
  }
  await rm(target_, { recursive: true, force: true });
  const written = [...output.keys()].sort();
  for (const file of written) {
    const path = join(target_, ...file.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, output.get(file) as Buffer);
  }
  return { files: written, assets: Object.fromEntries([...renamed].sort()) };
}

if (import.meta.main) {
  const here = dirname(fileURLToPath(import.meta.url));
  const { values } = parseArgs({
    options: {
      source: { type: 'string' },
      out: { type: 'string' },
      mount: { type: 'string', multiple: true },
    },
    strict: true,
  });
  const source = values.source ?? join(here, '..', 'site');
  const out = values.out ?? join(here, '..', 'dist', 'site');
  const mounts = Object.fromEntries(
    (values.mount ?? []).map((spec) => {
      const at = spec.indexOf('=');
      if (at < 1) throw new Error(`build-site: --mount ${spec}: expected PREFIX=DIR`);
      return [spec.slice(0, at), resolve(spec.slice(at + 1))];
    }),
  );
  const result = await buildSite({ source, out, mounts });
  const count = Object.keys(result.assets).length;
  console.log(
    `build-site: ${result.files.length} files into ${out}, ${count} assets fingerprinted`,
  );
  for (const [from, to] of Object.entries(result.assets)) console.log(`  ${from} → ${to}`);
}
