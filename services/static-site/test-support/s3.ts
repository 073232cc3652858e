// An S3 server for the tests, the first that applies:
//   - S3_ENDPOINT's, with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for it;
//   - a container of S3_IMAGE (testcontainers), run as compose and k8s/base/static-site run the
//     store: SeaweedFS's `mini` by default elsewhere, quadrants/s3:dev where no registry is
//     reachable (CI sets it; images/s3 keeps the same arguments, variables and port);
//   - an s3rver in this process on a free loopback port, over a fresh directory, so that
//     `pnpm test` here needs no Docker. s3rver is patched in this repository
//     (patches/s3rver@3.7.1.patch) so that paginated listings work on OpenSSL 3.
// A test that stops and starts the store asks for its own in-process one ({ own: true }).
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
import { GenericContainer, type StartedTestContainer, Wait } from 'testcontainers';

/** The store's arguments in docker-compose.yml and k8s/base/static-site/s3. */
const STORE_ARGS = [
  '-logtostderr=true',
  'mini',
  '-dir=/data',
  '-ip=127.0.0.1',
  '-ip.bind=0.0.0.0',
  '-s3.port=9000',
];
const CONTAINER_KEY = { id: 'static-site-test', secret: 'static-site-test-secret' };

/** A container of `image` serving S3 on a loopback port; its endpoint once it answers. */
async function startContainer(
  image: string,
): Promise<{ endpoint: string; container: StartedTestContainer }> {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  try {
    const container = await new GenericContainer(image)
      .withCommand(STORE_ARGS)
      .withEnvironment({
        AWS_ACCESS_KEY_ID: CONTAINER_KEY.id,
        AWS_SECRET_ACCESS_KEY: CONTAINER_KEY.secret,
      })
      .withExposedPorts(9000)
      // /data is the image's volume: an anonymous one, filled from the image's directory (so
      // owned by the uid it runs as), removed with the container.
      .withWaitStrategy(Wait.forListeningPorts())
      // A busy 2-core runner, and a first start that formats its volumes.
      .withStartupTimeout(120_000)
      .start();
    return { endpoint: `http://127.0.0.1:${container.getMappedPort(9000)}`, container };
  } catch (error) {
    throw new Error(
      `could not start an S3 server from ${image}: these tests need a Docker engine, S3_ENDPOINT ` +
        'naming a server to use, or neither (an in-process s3rver). Where no registry is ' +
        'reachable, scripts/offline-images builds quadrants/s3:dev: set S3_IMAGE=quadrants/s3:dev',
      { cause: error },
    );
  }
}

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
  const image = process.env.S3_IMAGE;
  let server: S3rver | undefined;
  let container: StartedTestContainer | undefined;
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
  } else if (image && !options.own) {
    ({ endpoint, container } = await startContainer(image));
  } else {
    directory = await mkdtemp(join(tmpdir(), 'static-site-s3-'));
    await run();
    endpoint = `http://127.0.0.1:${port}`;
  }
  const { accessKeyId, secretAccessKey } = container
    ? { accessKeyId: CONTAINER_KEY.id, secretAccessKey: CONTAINER_KEY.secret }
    : external && !options.own
      ? {
          accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? '',
          secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '',
        }
      : { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
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
      await container?.stop({ remove: true, removeVolumes: true });
      if (directory) await rm(directory, { recursive: true, force: true });
    },
  };
}
