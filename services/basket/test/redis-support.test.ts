// The test support itself (test-support/redis.ts): the tests and the fault tests lean on what
// it promises, so it is checked against a real container here.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { getContainerRuntimeClient } from 'testcontainers';
import { afterEach, describe, expect, inject, test } from 'vitest';
import { type RedisServer, startRedis } from '../test-support/redis.ts';

const clients: Redis[] = [];
const servers: RedisServer[] = [];

/** A client that fails a command rather than waiting for a server that is not there. */
function connect(url: string, commandTimeout = 5_000): Redis {
  const client = new Redis(url, {
    commandTimeout,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
  });
  client.on('error', () => {}); // reconnects are expected while a server restarts
  clients.push(client);
  return client;
}

async function ownServer(options: { persistent?: boolean } = {}): Promise<RedisServer> {
  const server = await startRedis({ ownContainer: true, ...options });
  servers.push(server);
  return server;
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

describe('the run’s Redis (global setup)', () => {
  test('answers PING', async () => {
    expect(await connect(inject('redisUrl')).ping()).toBe('PONG');
  });

  test('runs as the store runs: noeviction under maxmemory, no snapshots, no append-only file', async () => {
    const client = connect(inject('redisUrl'));
    const settings = await Promise.all(
      ['maxmemory-policy', 'maxmemory', 'save', 'appendonly'].map(
        async (name) => ((await client.config('GET', name)) as string[])[1],
      ),
    );
    expect(settings).toEqual(['noeviction', String(96 * 1024 * 1024), '', 'no']);
  });

  test('with REDIS_URL set, startRedis() hands that server back and starts nothing', async () => {
    const saved = process.env.REDIS_URL;
    process.env.REDIS_URL = inject('redisUrl');
    try {
      const server = await startRedis();
      expect(server.url).toBe(inject('redisUrl'));
      expect(server.container).toBeUndefined();
      await expect(server.restart()).rejects.toThrow(/ownContainer/);
    } finally {
      if (saved === undefined) delete process.env.REDIS_URL;
      else process.env.REDIS_URL = saved;
    }
  });
});

describe('startRedis({ ownContainer: true })', () => {
  test('publishes 6379 on 127.0.0.1 only', async () => {
    const server = await ownServer();
    const docker = (await getContainerRuntimeClient()).container;
    // biome-ignore lint/style/noNonNullAssertion: ownContainer always has a container
    const inspected = await docker.inspect(docker.getById(server.container!.getId()));
    const port = new URL(server.url).port;
    expect(inspected.HostConfig.PortBindings).toEqual({
      '6379/tcp': [{ HostIp: '127.0.0.1', HostPort: port }],
    });
  });

  test('a restart keeps the port, and without persistence the keys are gone', async () => {
    const server = await ownServer();
    const key = `test:${randomUUID()}`;
    const before = connect(server.url);
    await before.set(key, 'kept?');
    await server.restart();
    const after = connect(server.url);
    expect(await after.ping()).toBe('PONG');
    expect(await after.exists(key)).toBe(0);
  });

  test('with persistent: true, the keys survive a restart and a SIGKILL', async () => {
    const server = await ownServer({ persistent: true });
    // A new client after each restart, so that no reconnect of an old one is in the way.
    await connect(server.url).set('test:before-restart', 'yes');
    await server.restart();
    await connect(server.url).set('test:before-kill', 'yes');
    await server.restart({ kill: true });
    expect(await connect(server.url).mget('test:before-restart', 'test:before-kill')).toEqual([
      'yes',
      'yes',
    ]);
  });

  test('while paused a command times out rather than being refused, and answers after unpause', async () => {
    const server = await ownServer();
    const client = connect(server.url, 500);
    expect(await client.ping()).toBe('PONG');
    await server.pause();
    await expect(client.ping()).rejects.toThrow(/timed out/i);
    await server.unpause();
    expect(await connect(server.url).ping()).toBe('PONG');
  });
});
