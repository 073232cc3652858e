// One Redis for the whole run, REDIS_URL's or a container (test-support/redis.ts), given to
// every test file as inject('redisUrl'). Files running side by side share it, so each keeps
// its keys under a prefix of its own (test/basket-app.ts); a test that restarts or pauses Redis
// starts its own container.
import type { TestProject } from 'vitest/node';
import { startRedis } from '../test-support/redis.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const server = await startRedis();
  project.provide('redisUrl', server.url);
  return () => server.stop();
}
