// The embedded PostgreSQL that `pnpm start` gives transactions when DATABASE_URL is unset:
// PGlite (PostgreSQL compiled to WebAssembly, run inside this Node process) keeping its data in
// a directory, served over PostgreSQL's wire protocol on a free loopback port by
// @electric-sql/pglite-socket. The service runs unchanged (pg, the same SQL, the same
// migrations) and a fresh clone needs no Docker.
//
// PGlite is a single PostgreSQL backend, so a single session. pglite-socket can multiplex
// several connections onto it, but they then share that session: its settings, its advisory
// locks (one "connection" never waits for another's lock: a session's own locks are granted
// again) and its unnamed prepared statement, which another client's query can replace between
// a Parse and its Execute. So this serves one connection at a time, and refuses a second with
// PostgreSQL's own "too many connections" error (SQLSTATE 53300, which transactions answers as
// a 503) and a message saying why, rather than a dropped socket. And one after another they
// would still share it: between two connections the session is reset (DISCARD ALL), as a new
// backend would start, so a pool's new connection never finds the named prepared statements,
// settings or advisory locks of the one it replaced.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** Gitignored (`.data/`); delete it to start from an empty database. */
export const defaultDataDir = fileURLToPath(
  new URL('../.data/pglite/transactions', import.meta.url),
);

const host = '127.0.0.1';

export interface EmbeddedPostgresOptions {
  /** Where the database lives; created on first use. One process at a time may open it. */
  dataDir: string;
  /** 0, the default, takes a free port: never one that a real PostgreSQL (5432) may hold. */
  port?: number;
  /** Told what takes a while (creating the database), before it starts. */
  say?: (line: string) => void;
}

export interface EmbeddedPostgres {
  /** PGlite has one user and one database, whatever a client asks for: postgres and postgres. */
  url: string;
  port: number;
  /**
   * Ends the open connection, closes the database (its files are then complete on disk) and
   * lets another process open the directory. Safe to call twice.
   */
  close(): Promise<void>;
}

/** Starts PGlite on `dataDir` and serves it on 127.0.0.1; resolves once it accepts connections. */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  const { dataDir, say = () => {} } = options;
  await mkdir(dirname(dataDir), { recursive: true });
  const unlock = await lockDirectory(dataDir);
  let db: PGlite | undefined;
  let inner: PGLiteSocketServer | undefined;
  try {
    if (!existsSync(dataDir)) {
      say(`creating the database in ${dataDir} (the first start only; initdb takes a while)`);
      await createDatabase(dataDir);
    }
    const database = await openDatabase(dataDir);
    db = database;
    // Its own loopback port, reached only through the gate below. Its default of one connection
    // stays: the gate lets one through at a time.
    const server = new PGLiteSocketServer({ db: database, host, port: 0 });
    inner = server;
    await server.start();
    const innerPort = Number(server.getServerConn().split(':').at(-1));
    const reset = async () => {
      // pglite-socket's own rollback of a transaction the connection left open comes first.
      await until(() => server.getStats().activeConnections === 0, 5_000);
      if (database.isInTransaction()) await database.exec('ROLLBACK');
      await database.exec('DISCARD ALL');
    };
    const gate = await listen(createGate(innerPort, reset), options.port ?? 0);
    const close = once(async () => {
      await gate.close();
      // pglite-socket rolls back a transaction left open by a connection that closed, in a
      // handler nobody awaits: closing the database under it would fail that rollback. Once
      // its side has seen the connection go, the rollback is queued (or not needed), and a
      // query of ours, queued behind it, finishes after it.
      await until(() => server.getStats().activeConnections === 0, 5_000);
      await server.stop();
      if (database.isInTransaction()) await database.exec('ROLLBACK');
      await database.close();
      await unlock();
    });
    return { url: `postgres://postgres@${host}:${gate.port}/postgres`, port: gate.port, close };
  } catch (error) {
    await inner?.stop().catch(() => {});
    await db?.close().catch(() => {});
    await unlock();
    throw error;
  }
}

/**
 * initdb into a sibling directory, renamed into place once complete: a first start stopped
 * half-way (Ctrl-C, a crash) leaves no half-made database that the next start would trip on.
 */
async function createDatabase(dataDir: string): Promise<void> {
  const partial = `${dataDir}.partial`;
  await rm(partial, { recursive: true, force: true });
  const fresh = await PGlite.create(partial);
  await fresh.close();
  await rename(partial, dataDir);
}

async function openDatabase(dataDir: string): Promise<PGlite> {
  try {
    return await PGlite.create(dataDir);
  } catch (error) {
    // The usual cause: the directory was made by a PGlite of another PostgreSQL major version.
    throw new Error(
      `cannot open the embedded PostgreSQL in ${dataDir} (${(error as Error).message}); ` +
        'if its data can go, delete that directory and start again',
      { cause: error },
    );
  }
}

/**
 * PGlite does not lock its directory, and two processes writing one corrupt it: a second
 * `pnpm start` (TRANSACTIONS_PORT=0, say) must fail instead. Returns the unlock.
 */
async function lockDirectory(dataDir: string): Promise<() => Promise<void>> {
  const file = `${dataDir}.lock`;
  for (let attempt = 1; ; attempt++) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: 'wx' });
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw error;
    }
    const holder = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
    if (isRunning(holder)) {
      throw new Error(
        `${dataDir} is in use by process ${holder} (another \`pnpm start\`?); stop it first, ` +
          `or delete ${file} if that process is not one`,
      );
    }
    // Left by a process that was killed: PostgreSQL recovers the data from its WAL on opening.
    await rm(file, { force: true });
  }
}

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, as another user's process.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The server clients connect to: it forwards one connection at a time to PGlite's socket
 * server on `innerPort` and refuses the others as PostgreSQL would; `reset` runs between two.
 */
function createGate(innerPort: number, reset: () => Promise<void>): Server {
  let current: { client: Socket; free: Promise<void> } | undefined;
  return createServer(async (client) => {
    // A connection that is closing frees its place in a moment (a pool replacing its
    // connection): the next one waits for that rather than being refused.
    if (current?.client.destroyed) await current.free;
    if (current) return refuse(client);
    const free = Promise.withResolvers<void>();
    current = { client, free: free.promise };
    const upstream = connect({ host, port: innerPort, noDelay: true });
    client.setNoDelay(true);
    let open = 2;
    const closed = () => {
      // The place frees once both sides are gone, so PGlite never sees two connections.
      if (--open > 0) return;
      void reset()
        .catch(() => {}) // a database closing under it; the next connection fails on its own
        .finally(() => {
          if (current?.client === client) current = undefined;
          free.resolve();
        });
    };
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.once('close', closed);
      socket.on('error', end);
      socket.on('close', end);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
}

const SSL_REQUEST = 80_877_103;
const GSSENC_REQUEST = 80_877_104;

/**
 * Answers a connection with PostgreSQL's ErrorResponse for too many connections. It waits for
 * the client's startup message first, as a server does: psql asks for SSL (or GSS encryption)
 * before it, gets "N" (not offered) and then sends it in the clear.
 */
function refuse(client: Socket): void {
  let received = Buffer.alloc(0);
  let answered = false;
  client.on('error', () => client.destroy());
  client.setTimeout(10_000, () => client.destroy());
  client.on('data', (data) => {
    if (answered) return;
    received = Buffer.concat([received, data]);
    while (received.length >= 8) {
      const length = received.readInt32BE(0);
      const code = received.readInt32BE(4);
      if (length === 8 && (code === SSL_REQUEST || code === GSSENC_REQUEST)) {
        client.write('N');
        received = received.subarray(8);
        continue;
      }
      if (received.length < length) return;
      answered = true;
      client.end(
        errorResponse({
          code: '53300',
          message:
            'the embedded PostgreSQL (PGlite) serves one connection at a time, and another client holds it',
          hint: 'under `pnpm start` transactions holds it; for more connections, set DATABASE_URL to a real PostgreSQL',
        }),
      );
      return;
    }
  });
}

/** A FATAL ErrorResponse message of the wire protocol (backend message 'E'). */
function errorResponse(fields: { code: string; message: string; hint: string }): Buffer {
  const parts = [
    ['S', 'FATAL'],
    ['V', 'FATAL'],
    ['C', fields.code],
    ['M', fields.message],
    ['H', fields.hint],
  ].map(([type, value]) => Buffer.from(`${type}${value}\0`, 'utf8'));
  const body = Buffer.concat([...parts, Buffer.from([0])]);
  const head = Buffer.alloc(5);
  head.write('E', 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

/** Listens on `port` (0: a free one) on 127.0.0.1; close() also ends the connections it has. */
async function listen(server: Server, port: number) {
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** Resolves once `condition` holds, or after `limitMs` regardless. */
async function until(condition: () => boolean, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition() && Date.now() < deadline) await sleep(10);
}

/** `fn` run once; later calls get the first call's promise. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => {
    result ??= fn();
    return result;
  };
}
