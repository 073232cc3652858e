// An S3 server for the tests: S3_ENDPOINT's when it is set (with AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY for it), else an s3rver in this process on a free loopback port, over a
// fresh directory. s3rver is patched in this repository (patches/s3rver@3.7.1.patch) so that
// paginated listings work on OpenSSL 3.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  paginateListObjectsV2,
  S3Client,
} from '@aws-sdk/client-s3';
import S3rver from 's3rver';

export interface TestS3 {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The environment a static-site process needs to reach this server. */
  env: Record<string, string>;
  client(): S3Client;
  /** A new bucket, unique to the caller. */
  bucket(): Promise<string>;
  /** Stops answering (in-process server only): for outage tests. */
  stop(): Promise<void>;
  /** Starts again on the same port and directory, after stop(). */
  start(): Promise<void>;
  close(): Promise<void>;
}

let buckets = 0;

function clientFor(endpoint: string, accessKeyId: string, secretAccessKey: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Closes the server and the clients' keep-alive connections with it, so close() returns at once. */
async function closeNow(server: S3rver): Promise<void> {
  const closing = server.close();
  server.httpServer?.closeAllConnections();
  await closing;
}

export async function startS3(options: { own?: boolean } = {}): Promise<TestS3> {
  const external = process.env.S3_ENDPOINT;
  let server: S3rver | undefined;
  let directory: string | undefined;
  let endpoint: string;
  let port = 0;
  const run = async () => {
    server = new S3rver({
      address: '127.0.0.1',
      port,
      directory: directory as string,
      silent: true,
    });
    port = (await server.run()).port;
  };
  if (external && !options.own) {
    endpoint = external;
  } else {
    directory = await mkdtemp(join(tmpdir(), 'static-site-s3-'));
    await run();
    endpoint = `http://127.0.0.1:${port}`;
  }
  const accessKeyId = (external && !options.own && process.env.AWS_ACCESS_KEY_ID) || 'S3RVER';
  const secretAccessKey =
    (external && !options.own && process.env.AWS_SECRET_ACCESS_KEY) || 'S3RVER';
  const clients: S3Client[] = [];
  const made: string[] = [];
  const client = () => {
    const one = clientFor(endpoint, accessKeyId, secretAccessKey);
    clients.push(one);
    return one;
  };
  return {
    endpoint,
    accessKeyId,
    secretAccessKey,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_REGION: 'us-east-1',
    },
    client,
    async bucket() {
      const name = `test-${process.pid}-${++buckets}-${Date.now().toString(36)}`;
      await client().send(new CreateBucketCommand({ Bucket: name }));
      made.push(name);
      return name;
    },
    async stop() {
      if (!server)
        throw new Error('only an in-process server can be stopped: startS3({ own: true })');
      await closeNow(server);
      server = undefined;
    },
    async start() {
      if (server || !directory) throw new Error('start() follows stop(), for an in-process server');
      await run();
    },
    async close() {
      if (external && !options.own) {
        // Empty what the tests made on a shared server; the buckets themselves may stay.
        const s3 = client();
        for (const bucket of made) {
          for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket })) {
            const keys = (page.Contents ?? []).map(({ Key }) => ({ Key }));
            if (keys.length > 0)
              await s3.send(
                new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }),
              );
          }
        }
      }
      for (const one of clients) one.destroy();
      if (server) await closeNow(server);
      if (directory) await rm(directory, { recursive: true, force: true });
    },
  };
}
