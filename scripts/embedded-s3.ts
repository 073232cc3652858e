// The embedded S3 server that `pnpm start` (and the e2e suite's local target) gives static-site:
// s3rver (an S3 API in Node, run inside this process) keeping its buckets and objects as files
// in a directory, on a loopback port. static-site syncs from it with the same SDK calls as from
// a real store. s3rver is patched in this repository (patches/s3rver@3.7.1.patch) so that
// paginated listings work on OpenSSL 3.
//
// Credentials: s3rver has no option for them. It knows one key pair, S3RVER / S3RVER, and with
// the signature version the AWS SDK v3 uses (SigV4) it checks only that the access key id is
// one it knows, never the signature: any secret is accepted. So this is for 127.0.0.1 only, and
// the credentials are a formality: S3RVER / S3RVER.
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { S3ClientConfig } from '@aws-sdk/client-s3';

/** Gitignored (`.data/`); delete it to start from an empty store. */
export const defaultS3DataDir = fileURLToPath(new URL('../.data/s3', import.meta.url));

/** The only key pair s3rver knows (it has no option for others). */
export const embeddedS3Credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

const host = '127.0.0.1';
const region = 'us-east-1';

/** The slice of s3rver 3.7's API used here; it ships no types of its own. */
interface S3rver {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  /** The listening server, once run() resolved. */
  httpServer?: Server;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  vhostBuckets: boolean;
  configureBuckets: { name: string }[];
}) => S3rver;

const S3rverClass = createRequire(import.meta.url)('s3rver') as S3rverConstructor;

export interface EmbeddedS3Options {
  /** Where buckets and objects live, as files; created on first use. */
  dataDir: string;
  /** 0, the default, takes a free port. */
  port?: number;
  /** Buckets made at start when missing (a bucket already there is kept as it is). */
  buckets?: string[];
}

export interface EmbeddedS3 {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  port: number;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Stops answering: new connections are refused, open ones are ended. Safe to call twice. */
  close(): Promise<void>;
}

/** Starts s3rver on `dataDir` and serves it on 127.0.0.1; resolves once it accepts connections. */
export async function startEmbeddedS3(options: EmbeddedS3Options): Promise<EmbeddedS3> {
  const { dataDir } = options;
  await mkdir(dataDir, { recursive: true });
  const server = new S3rverClass({
    address: host,
    port: options.port ?? 0,
    directory: dataDir,
    silent: true,
    // Path-style only: a Host of 127.0.0.1 names no bucket anyway.
    vhostBuckets: false,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name })),
  });
  const { port } = await server.run();
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const closed = server.close();
      // A request in flight finishes (close() waits for it); idle keep-alive connections,
      // which the SDK's clients hold, are ended now, and the rest a moment later.
      server.httpServer?.closeIdleConnections();
      const timer = setTimeout(() => server.httpServer?.closeAllConnections(), 5_000);
      try {
        await closed;
      } finally {
        clearTimeout(timer);
      }
    })();
    return closing;
  };
  return {
    endpoint: `http://${host}:${port}`,
    port,
    region,
    ...embeddedS3Credentials,
    close,
  };
}

/**
 * An S3 client's configuration for an S3-compatible server such as this one: path-style
 * addressing, and checksums only where the API requires them (the SDK's default streaming
 * checksums are refused or stored corrupted by several such servers).
 */
export function s3ClientConfig(server: {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}): S3ClientConfig {
  return {
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}
