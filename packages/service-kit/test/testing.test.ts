/** The testing entry's helpers that other packages' tests build on. */
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, expect, test } from 'vitest';
import { freeLoopbackPort } from '../src/testing.ts';

describe('freeLoopbackPort', () => {
  test('answers a port on 127.0.0.1 that a listener can then take', async () => {
    const port = await freeLoopbackPort();
    expect(port).toBeGreaterThan(0);
    const server = createServer().listen(port, '127.0.0.1');
    await once(server, 'listening');
    expect(server.address()).toMatchObject({ address: '127.0.0.1', port });
    await new Promise((resolve) => server.close(resolve));
  });
});
