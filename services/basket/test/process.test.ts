/**
 * basket as a real process (src/main.ts): configuration errors stop it with one line naming the
 * variable; it starts and answers 503 while its Redis is unreachable, without crashing; SIGTERM
 * drains and exits 0 on either store.
 */
import { freeLoopbackPort, startServiceProcess } from '@quadrants/service-kit/testing';
import { Redis } from 'ioredis';
import { describe, expect, test } from 'vitest';
import { startRedis } from '../test-support/redis.ts';

const entry = new URL('../src/main.ts', import.meta.url).pathname;

async function started(env: Record<string, string>) {
  const port = await freeLoopbackPort();
  const service = startServiceProcess(entry, { LOG_LEVEL: 'info', PORT: String(port), ...env });
  await service.waitFor((line) => String(line.msg).startsWith('listening'));
  return { service, base: `http://127.0.0.1:${port}` };
}

describe('the basket process', () => {
  test('with BASKET_STORE=redis and no REDIS_URL, exits 1 naming REDIS_URL', async () => {
    const service = startServiceProcess(entry, { BASKET_STORE: 'redis', REDIS_URL: '' });
    expect(await service.exited).toBe(1);
    expect(JSON.stringify(service.lines)).toMatch(/REDIS_URL: is required/);
  });

  test('with a REDIS_URL that is no redis URL, exits 1 without repeating its password', async () => {
    const service = startServiceProcess(entry, { REDIS_URL: 'http://user:sesame@host:6379' });
    expect(await service.exited).toBe(1);
    const output = JSON.stringify(service.lines) + service.stderr();
    expect(output).toMatch(/REDIS_URL/);
    expect(output).not.toMatch(/sesame/);
  });

  test('on the memory store, serves, warns it is one replica only, and exits 0 on SIGTERM', async () => {
    const { service, base } = await started({ BASKET_STORE: 'memory' });
    expect(service.lines.some((line) => /one replica only/.test(String(line.msg)))).toBe(true);
    const created = await fetch(`${base}/baskets`, { method: 'POST' });
    expect(created.status).toBe(201);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
  });

  test('while its Redis is unreachable, stays up, is not ready, answers 503 and exits 0 on SIGTERM', async () => {
    const redisPort = await freeLoopbackPort();
    const { service, base } = await started({
      BASKET_STORE: 'redis',
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    });
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    const answer = await fetch(`${base}/baskets`, { method: 'POST' });
    expect(answer.status).toBe(503);
    expect(((await answer.json()) as { code: string }).code).toBe('store_unavailable');
    expect(service.child.exitCode).toBeNull();
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(service.stderr()).toBe('');
  });

  test('with a wrong Redis password, is not ready, answers 503, and never logs the password', async () => {
    const server = await startRedis({ ownContainer: true });
    try {
      const admin = new Redis(server.url);
      await admin.config('SET', 'requirepass', 'the-right-one');
      admin.disconnect();
      const url = new URL(server.url);
      url.password = 'wrong-in-url';
      const { service, base } = await started({
        BASKET_STORE: 'redis',
        REDIS_URL: url.href,
        REDIS_PASSWORD: 'wrong-in-secret',
      });
      await service.waitFor((line) => line.msg === 'dependency reported an error');
      expect((await fetch(`${base}/readyz`)).status).toBe(503);
      expect((await fetch(`${base}/baskets`, { method: 'POST' })).status).toBe(503);
      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(0);
      const output = JSON.stringify(service.lines) + service.stderr();
      expect(output).toMatch(/WRONGPASS|invalid password|invalid username-password/i);
      expect(output).not.toMatch(/wrong-in-secret|wrong-in-url|the-right-one/);
    } finally {
      await server.stop();
    }
  });
});
