// The site build (scripts/build-site.ts): fingerprinted assets, rewritten references, none left
// dangling, the same output twice; and the landing page's port mapping (site/assets/site.js).
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { buildSite, referencesIn, SERVER_ROUTES } from '../scripts/build-site.ts';

const SITE = fileURLToPath(new URL('../site/', import.meta.url));

let scratch: string;
beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'static-site-build-'));
});
afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function filesUnder(root: string, under = ''): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(join(root, under), { withFileTypes: true })) {
    const path = under === '' ? entry.name : `${under}/${entry.name}`;
    if (entry.isDirectory()) found.push(...(await filesUnder(root, path)));
    else found.push(path);
  }
  return found.sort();
}

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

/** Every local reference in the built HTML and CSS, as the site path it names. */
async function localReferences(out: string, files: string[]) {
  const refs: { from: string; ref: string; path: string }[] = [];
  for (const from of files.filter((file) => /\.(html|css)$/.test(file))) {
    const text = await readFile(join(out, from), 'utf8');
    for (const { ref } of referencesIn(from, text)) {
      const value = ref.replaceAll('&amp;', '&').split(/[?#]/)[0] as string;
      if (value === '' || /^[a-z][a-z0-9+.-]*:/i.test(value) || value.startsWith('//')) continue;
      if (SERVER_ROUTES.some((route) => value.startsWith(route))) continue;
      const path = posix
        .join('/', value.startsWith('/') ? '' : posix.dirname(from), value)
        .slice(1);
      refs.push({
        from,
        ref,
        path: path === '' || path.endsWith('/') ? `${path}index.html` : path,
      });
    }
  }
  return refs;
}

/** A stand-in for the storefront's own build, mounted at shop/ as the real build mounts it. */
async function shopBuild(): Promise<Record<string, string>> {
  const dir = join(scratch, 'shop-dist');
  await writeTree(dir, {
    'index.html': '<script type="module" src="/shop/assets/index.0123abcd.js"></script>',
    'assets/index.0123abcd.js': 'console.log("shop")',
  });
  return { shop: dir };
}

describe('build-site on the landing page', () => {
  test('every asset gets its content hash in its name, and nothing else is renamed', async () => {
    const out = join(scratch, 'out');
    const result = await buildSite({ source: SITE, out, mounts: await shopBuild() });
    const written = await filesUnder(out);
    expect(written).toEqual(result.files);
    expect(written).toEqual(
      expect.arrayContaining(['index.html', '404.html', 'favicon.svg', 'robots.txt']),
    );

    expect(written).toEqual(expect.arrayContaining(['shop/index.html']));
    const assets = written.filter((file) => file.startsWith('assets/'));
    expect(assets.length).toBeGreaterThanOrEqual(3);
    for (const file of assets) {
      const match = /^(.+)\.([0-9a-f]{8})(\.[a-z0-9]+)$/.exec(file);
      expect(match, file).not.toBeNull();
      const bytes = await readFile(join(out, file));
      expect(createHash('sha256').update(bytes).digest('hex').slice(0, 8)).toBe(match?.[2]);
      expect(result.assets[`${match?.[1]}${match?.[3]}`]).toBe(file);
    }
  });

  test('the HTML and CSS refer to the fingerprinted names, and every local reference resolves', async () => {
    const out = join(scratch, 'out');
    const { files } = await buildSite({ source: SITE, out, mounts: await shopBuild() });
    const index = await readFile(join(out, 'index.html'), 'utf8');
    expect(index).toMatch(/href="\/assets\/site\.[0-9a-f]{8}\.css"/);
    expect(index).toMatch(/src="\/assets\/site\.[0-9a-f]{8}\.js"/);
    const css = files.find((file) => /^assets\/site\.[0-9a-f]{8}\.css$/.test(file)) as string;
    expect(await readFile(join(out, css), 'utf8')).toMatch(/url\("grid\.[0-9a-f]{8}\.svg"\)/);

    const refs = await localReferences(out, files);
    expect(refs.length).toBeGreaterThan(5);
    const dangling = refs.filter(({ path }) => !files.includes(path));
    expect(dangling).toEqual([]);
    // No page still names an asset by its plain name.
    for (const { path } of refs) {
      if (path.startsWith('assets/')) expect(path).toMatch(/\.[0-9a-f]{8}\.[a-z0-9]+$/);
    }
  });

  test('two builds of the same tree are byte for byte the same', async () => {
    const mounts = await shopBuild();
    const first = await buildSite({ source: SITE, out: join(scratch, 'one'), mounts });
    const second = await buildSite({ source: SITE, out: join(scratch, 'two'), mounts });
    expect(second).toEqual(first);
    for (const file of first.files) {
      const [a, b] = await Promise.all([
        readFile(join(scratch, 'one', file)),
        readFile(join(scratch, 'two', file)),
      ]);
      expect(a.equals(b), file).toBe(true);
    }
  });
});

describe('build-site on a tree of its own', () => {
  test('a stylesheet’s name covers the names it refers to: a changed image renames the stylesheet too', async () => {
    const source = join(scratch, 'src');
    const tree = {
      'index.html':
        '<link rel="stylesheet" href="assets/css/main.css?v=1"><img src="./assets/img/a.png#x">',
      'docs/index.html':
        '<a href="../">up</a><img src="../assets/img/a.png"><a href="/docs/">self</a>',
      'assets/css/main.css': '@import "base.css"; .a { background: url(../img/a.png) }',
      'assets/css/base.css': 'body { background: url( "../img/a.png" ) }',
      'assets/img/a.png': 'one',
    };
    await writeTree(source, tree);
    const first = await buildSite({ source, out: join(scratch, 'one') });
    await writeTree(source, { 'assets/img/a.png': 'two' });
    const second = await buildSite({ source, out: join(scratch, 'two') });

    for (const asset of ['assets/img/a.png', 'assets/css/base.css', 'assets/css/main.css']) {
      expect(second.assets[asset]).not.toBe(first.assets[asset]);
    }
    const out = join(scratch, 'two');
    const index = await readFile(join(out, 'index.html'), 'utf8');
    const main = posix.basename(second.assets['assets/css/main.css'] as string);
    const png = posix.basename(second.assets['assets/img/a.png'] as string);
    expect(index).toBe(
      `<link rel="stylesheet" href="assets/css/${main}?v=1"><img src="./assets/img/${png}#x">`,
    );
    const mainCss = await readFile(
      join(out, second.assets['assets/css/main.css'] as string),
      'utf8',
    );
    const base = posix.basename(second.assets['assets/css/base.css'] as string);
    expect(mainCss).toBe(`@import "${base}"; .a { background: url(../img/${png}) }`);
    const dangling = (await localReferences(out, second.files)).filter(
      ({ path }) => !second.files.includes(path),
    );
    expect(dangling).toEqual([]);
  });

  test('a reference to a file the site does not have fails the build, naming it', async () => {
    const source = join(scratch, 'src');
    await writeTree(source, { 'index.html': '<script src="/assets/missing.js"></script>' });
    await expect(buildSite({ source, out: join(scratch, 'out') })).rejects.toThrow(
      /index\.html refers to \/assets\/missing\.js/,
    );
  });

  test('external links, fragments and the server’s own routes are left alone', async () => {
    const source = join(scratch, 'src');
    const html =
      '<a href="http://127.0.0.1:8084/docs">geo</a><a href="#top">top</a><a href="/readyz">ready</a>' +
      '<a href="/_static/release">release</a><a href="mailto:x@example.org">mail</a><img src="data:image/png;base64,AA==">';
    await writeTree(source, { 'index.html': html });
    await buildSite({ source, out: join(scratch, 'out') });
    expect(await readFile(join(scratch, 'out', 'index.html'), 'utf8')).toBe(html);
  });

  test('a mount is copied unchanged under its prefix, and the site may link into it', async () => {
    const source = join(scratch, 'src');
    await writeTree(source, { 'index.html': '<a href="/shop/">shop</a>', 'assets/a.css': 'a{}' });
    const mounts = await shopBuild();
    const out = join(scratch, 'out');
    const { files, assets } = await buildSite({ source, out, mounts });
    expect(files).toEqual([
      'assets/a.5f546eb4.css',
      'index.html',
      'shop/assets/index.0123abcd.js',
      'shop/index.html',
    ]);
    expect(Object.keys(assets)).toEqual(['assets/a.css']);
    for (const file of ['index.html', 'assets/index.0123abcd.js']) {
      expect(await readFile(join(out, 'shop', file), 'utf8')).toBe(
        await readFile(join(mounts.shop as string, file), 'utf8'),
      );
    }
  });

  test('a mount that is missing, has no index.html or overlaps the site fails the build', async () => {
    const source = join(scratch, 'src');
    await writeTree(source, { 'index.html': 'hi', 'shop/old.html': 'old' });
    const out = join(scratch, 'out');
    await expect(
      buildSite({ source, out, mounts: { app: join(scratch, 'nowhere') } }),
    ).rejects.toThrow(/nothing to mount at app\/: .*does not exist \(build it first\)/);
    await writeTree(join(scratch, 'bare'), { 'x.js': '' });
    await expect(
      buildSite({ source, out, mounts: { app: join(scratch, 'bare') } }),
    ).rejects.toThrow(/has no index\.html/);
    await expect(buildSite({ source, out, mounts: await shopBuild() })).rejects.toThrow(
      /the site has files under shop\//,
    );
    await expect(buildSite({ source, out, mounts: { '../x': source } })).rejects.toThrow(
      /not one plain folder name/,
    );
  });

  test('a symbolic link in the source fails the build, and the output never overlaps it', async () => {
    const source = join(scratch, 'src');
    await writeTree(source, { 'index.html': 'hi' });
    await expect(buildSite({ source, out: join(source, 'dist') })).rejects.toThrow(
      /must not overlap/,
    );
    await symlink('/etc/passwd', join(source, 'passwd'));
    await expect(buildSite({ source, out: join(scratch, 'out') })).rejects.toThrow(/symbolic link/);
  });
});

interface SiteScript {
  targetOf(port: string): { name: string; base: number } | undefined;
  siblingPort(port: string, digit: number): number | undefined;
  gatewayTargetOf(port: string): { name: string; base: number } | undefined;
  probe(
    url: string,
    options: { fetchImpl: (url: string) => Promise<{ ok: boolean }> },
  ): Promise<string>;
}

describe('the landing page script', () => {
  const load = async (): Promise<SiteScript> =>
    (await import(pathToFileURL(join(SITE, 'assets', 'site.js')).href)) as SiteScript;

  test('maps static-site’s port on each target to its siblings’ ports', async () => {
    const { gatewayTargetOf, siblingPort, targetOf } = await load();
    expect(siblingPort('8083', 4)).toBe(8084);
    expect(siblingPort('18083', 1)).toBe(18081);
    expect(siblingPort('30083', 5)).toBe(30085);
    expect(targetOf('18083')?.name).toBe('docker-compose');
    expect(siblingPort('8080', 4)).toBeUndefined();
    // the base port is the one origin's: the gateway in front of them all
    expect(gatewayTargetOf('8080')?.name).toBe('pnpm start');
    expect(gatewayTargetOf('30080')?.name).toBe('kind');
    expect(gatewayTargetOf('8083')).toBeUndefined();
    expect(siblingPort('', 4)).toBeUndefined();
  });

  test('reads a /readyz answer it may see, and calls one the browser hides "hidden"', async () => {
    const { probe } = await load();
    expect(await probe('x', { fetchImpl: async () => ({ ok: true }) })).toBe('ready');
    expect(await probe('x', { fetchImpl: async () => ({ ok: false }) })).toBe('unready');
    const cors = async () => {
      throw new TypeError('Failed to fetch');
    };
    expect(await probe('x', { fetchImpl: cors })).toBe('hidden');
  });
});
