// What both servers serve, made the way static-site gets it everywhere: the landing page built
// by the service's own build (scripts/build-site.ts) plus one 100 KiB fingerprinted asset,
// uploaded by the service's own seed command to an S3 server in this process (s3rver, on a free
// loopback port), then synced by its own sync command into STATIC_DIR. nginx is then pointed at
// STATIC_DIR/current/site: the very files the service reads.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import S3rver from 's3rver';

const run = promisify(execFile);

/** s3rver's fixed credentials. */
const S3RVER_KEY = 'S3RVER';

export const ASSET_BYTES = 100 * 1024;

export interface Entries {
  main: URL;
  seed: URL;
  sync: URL;
}

/** The service's commands: from src/ (as the other benches run services) or its built dist/. */
export function serviceEntries(build: 'src' | 'dist'): Entries {
  const ext = build === 'src' ? 'ts' : 'js';
  const at = (name: string) =>
    new URL(`../../services/static-site/${build}/${name}.${ext}`, import.meta.url);
  return { main: at('main'), seed: at('seed'), sync: at('sync') };
}

export interface Content {
  /** STATIC_DIR, with `current` pointing at the synced release. */
  staticDir: string;
  /** STATIC_DIR/current/site, resolved: the directory nginx serves. */
  siteDir: string;
  /** The path of the 100 KiB asset, from the root: /assets/payload.<hash8>.bin. */
  assetPath: string;
  /** The environment the service's commands were given (store, bucket, prefix, STATIC_DIR). */
  env: NodeJS.ProcessEnv;
}

/** This process's --conditions flags, so that the commands load workspace packages from src/. */
const conditions = process.execArgv.filter((flag) => flag.startsWith('--conditions'));

async function command(entry: URL, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number) {
  try {
    await run(process.execPath, [...conditions, fileURLToPath(entry), ...args], {
      env: { ...process.env, ...env },
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(
      `${fileURLToPath(entry)} failed: ${(error as Error).message}\n${stdout ?? ''}${stderr ?? ''}`,
    );
  }
}

/** Builds, seeds and syncs the content under `dir`; the S3 server is stopped before it returns. */
export async function prepareContent(options: {
  dir: string;
  entries: Entries;
  timeoutMs: number;
}): Promise<Content> {
  const { dir, entries, timeoutMs } = options;
  const source = join(dir, 'source');
  const build = new URL('../../services/static-site/scripts/build-site.ts', import.meta.url);
  await command(build, ['--out', source], {}, timeoutMs);

  // Random bytes, so that no encoding makes it smaller for one side and not the other.
  const asset = randomBytes(ASSET_BYTES);
  const hash = createHash('sha256').update(asset).digest('hex').slice(0, 8);
  const assetPath = `/assets/payload.${hash}.bin`;
  await mkdir(join(source, 'assets'), { recursive: true });
  await writeFile(join(source, assetPath), asset);

  const s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: join(dir, 's3'),
  });
  const { port } = (await s3.run()) as AddressInfo;
  const staticDir = join(dir, 'static');
  const env = {
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: S3RVER_KEY,
    AWS_SECRET_ACCESS_KEY: S3RVER_KEY,
    S3_BUCKET: 'static-site',
    S3_PREFIX: 'site/',
    STATIC_DIR: staticDir,
    LOG_LEVEL: 'warn',
  };
  try {
    await command(entries.seed, [source], env, timeoutMs);
    await command(entries.sync, [], env, timeoutMs);
  } finally {
    await s3.close();
  }
  const siteDir = await realpath(join(staticDir, 'current', 'site'));
  // The synced copy must be the built one, byte for byte, before either server is measured.
  for (const path of ['index.html', assetPath.slice(1)]) {
    const [built, synced] = await Promise.all([
      readFile(join(source, path)),
      readFile(join(siteDir, path)),
    ]);
    if (!built.equals(synced)) throw new Error(`the synced ${path} differs from the built one`);
  }
  return { staticDir, siteDir, assetPath, env };
}
