// A load balancer in the test worker, for the targets that have none in front of their replicas
// (local processes, compose containers): it forwards each request to one of the replicas in
// rotation, round robin, and takes a replica out of rotation before the driver stops it, waiting
// for the requests it forwarded there to finish, as a Service's endpoints and a pod's preStop
// do on Kubernetes. A request that fails upstream answers 502, so the caller counts it.
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Balancer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Adds to rotation each of `urls` that is not in it yet. */
  add(urls: string[]): void;
  /** Replaces the rotation with `urls`; those left out get no new requests. */
  set(urls: string[]): void;
  /** Takes `url` out of rotation and resolves once no request forwarded to it is open. */
  drain(url: string): Promise<void>;
  close(): Promise<void>;
}

export async function startBalancer(): Promise<Balancer> {
  let rotation: string[] = [];
  let next = 0;
  const open = new Map<string, number>();
  const idle = new Map<string, (() => void)[]>();

  const settle = (url: string) => {
    const left = (open.get(url) ?? 1) - 1;
    open.set(url, left);
    if (left > 0) return;
    for (const resolve of idle.get(url) ?? []) resolve();
    idle.delete(url);
  };

  const forward = (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const upstream = rotation[next++ % Math.max(rotation.length, 1)];
    if (!upstream) {
      outgoing.writeHead(503, { 'content-type': 'text/plain' }).end('no replica in rotation\n');
      incoming.resume();
      return;
    }
    open.set(upstream, (open.get(upstream) ?? 0) + 1);
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      settle(upstream);
    };
    const target = new URL(incoming.url ?? '/', upstream);
    // agent: false, a connection of its own per request: a pooled keep-alive connection to a
    // replica that is stopping would fail a request that never reached it.
    const proxied = request(
      target,
      {
        method: incoming.method,
        headers: { ...incoming.headers, host: target.host },
        agent: false,
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
        answer.on('end', done);
        answer.on('error', () => {
          done();
          outgoing.destroy();
        });
      },
    );
    proxied.on('error', (error) => {
      done();
      if (outgoing.headersSent) outgoing.destroy();
      else {
        outgoing
          .writeHead(502, { 'content-type': 'text/plain' })
          .end(`${upstream}: ${error.message}\n`);
      }
    });
    outgoing.on('close', () => {
      if (!settled) proxied.destroy();
      done();
    });
    incoming.pipe(proxied);
  };

  const server = createServer(forward);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    add(urls) {
      for (const url of urls) if (!rotation.includes(url)) rotation = [...rotation, url];
    },
    set(urls) {
      rotation = [...urls];
    },
    drain(url) {
      rotation = rotation.filter((u) => u !== url);
      if ((open.get(url) ?? 0) === 0) return Promise.resolve();
      return new Promise((resolve) => {
        idle.set(url, [...(idle.get(url) ?? []), resolve]);
      });
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
