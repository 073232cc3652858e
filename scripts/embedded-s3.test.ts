import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetObjectCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { type EmbeddedS3, s3ClientConfig, startEmbeddedS3 } from './embedded-s3.ts';

const TEST_TIMEOUT_MS = 120_000;

let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'embedded-s3-'));
});

afterAll(() => rm(scratch, { recursive: true, force: true }));

/** The embedded server on a directory of its own, closed when the test finishes. */
async function started(options: { dataDir?: string; buckets?: string[] } = {}) {
  const dataDir = options.dataDir ?? (await mkdtemp(join(scratch, 'test-')));
  const server = await startEmbeddedS3({
    dataDir,
    ...(options.buckets && { buckets: options.buckets }),
  });
  onTestFinished(() => server.close());
  return { server, dataDir };
}

function clientOf(server: EmbeddedS3): S3Client {
  const client = new S3Client({ ...s3ClientConfig(server), maxAttempts: 1 });
  onTestFinished(() => client.destroy());
  return client;
}

async function text(client: S3Client, bucket: string, key: string): Promise<string> {
  const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await object.Body?.transformToString('utf8')) ?? '';
}

describe('startEmbeddedS3', () => {
  test(
    'makes the buckets it is given, and stores and returns objects on 127.0.0.1 with the SDK',
    async () => {
      const { server } = await started({ buckets: ['static-site'] });
      expect(server.endpoint).toBe(`http://127.0.0.1:${server.port}`);
      const client = clientOf(server);
      await client.send(new HeadBucketCommand({ Bucket: 'static-site' }));
      const body = '<!doctype html><title>embedded</title>\n';
      await client.send(
        new PutObjectCommand({
          Bucket: 'static-site',
          Key: 'site/index.html',
          Body: body,
          ContentType: 'text/html; charset=utf-8',
        }),
      );
      const object = await client.send(
        new GetObjectCommand({ Bucket: 'static-site', Key: 'site/index.html' }),
      );
      expect(object.ContentType).toBe('text/html; charset=utf-8');
      expect(await object.Body?.transformToString('utf8')).toBe(body);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'lists more than a page: every key once, in order, over continuation tokens',
    async () => {
      const { server } = await started({ buckets: ['paged'] });
      const client = clientOf(server);
      const keys = Array.from({ length: 25 }, (_, i) => `site/${String(i).padStart(3, '0')}.txt`);
      for (const Key of keys) {
        await client.send(new PutObjectCommand({ Bucket: 'paged', Key, Body: Key }));
      }
      await client.send(new PutObjectCommand({ Bucket: 'paged', Key: 'other/x.txt', Body: 'x' }));
      const listed: string[] = [];
      let pages = 0;
      for await (const page of paginateListObjectsV2(
        { client, pageSize: 7 },
        { Bucket: 'paged', Prefix: 'site/' },
      )) {
        pages++;
        for (const object of page.Contents ?? []) listed.push(object.Key ?? '');
      }
      expect(pages).toBe(4);
      expect(listed).toEqual(keys);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'keeps its objects across a stop and a start on the same directory and port',
    async () => {
      const { server, dataDir } = await started({ buckets: ['kept'] });
      const client = clientOf(server);
      await client.send(new PutObjectCommand({ Bucket: 'kept', Key: 'site/a.txt', Body: 'a' }));
      await server.close();
      // Stopped: a request fails rather than hangs.
      await expect(client.send(new ListBucketsCommand({}))).rejects.toThrow();

      const again = await startEmbeddedS3({ dataDir, port: server.port, buckets: ['kept'] });
      onTestFinished(() => again.close());
      expect(await text(client, 'kept', 'site/a.txt')).toBe('a');
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'closes at once with a client holding a keep-alive connection, and twice without harm',
    async () => {
      const { server } = await started({ buckets: ['idle'] });
      const client = clientOf(server);
      await client.send(new ListBucketsCommand({}));
      await Promise.all([server.close(), server.close()]);
      await server.close();
    },
    TEST_TIMEOUT_MS,
  );
});
