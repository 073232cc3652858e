import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Child side of spawnServer: tells the parent which port the server took. */
export async function announce(server: Server): Promise<void> {
  if (!server.listening) await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  if (!process.send)
    throw new Error('run this server through spawnServer (it needs an IPC channel)');
  process.send({ port });
}
