// The PostgreSQL the transactions bench measures against: a server of its own, started from the
// host's PostgreSQL 15 binaries in a temporary directory and removed afterwards, or the server
// of BENCH_DATABASE_URL. Either way the bench makes a database of its own on it.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from '@quadrants/service-kit/testing';
import pg from 'pg';

/** Debian's PostgreSQL 15 (postgresql-15), the version of the offline kit's image. */
const DEFAULT_BIN = '/usr/lib/postgresql/15/bin';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

/**
 * What the bench's own server runs with, beyond initdb's defaults. fsync stays on, as in
 * production: the figures include the WAL flush at each COMMIT while synchronous_commit is on.
 */
export const SERVER_SETTINGS = {
  listen_addresses: '127.0.0.1',
  // PostgreSQL's default, stated: the bench's tables (a few tens of MB) fit in it several times.
  shared_buffers: '128MB',
  // 16 from the service and 16 from pgbench never at once, plus the bench's own.
  max_connections: '50',
  // A checkpoint in the middle of one side's window and not the other's would tilt the ratio.
  checkpoint_timeout: '30min',
  max_wal_size: '4GB',
} as const;

export interface BenchPostgres {
  /** The server's maintenance database (postgres), for CREATE DATABASE. */
  adminUrl: string;
  /** Where pgbench is. */
  pgbench: string;
  /** What this is, for the report: version and settings. */
  description: string;
  /** PostgreSQL's CPU seconds (every process of the server) so far; null for a server not ours. */
  cpuSeconds(): number | null;
  stop(): Promise<void>;
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces). */
function statFields(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ');
  } catch {
    return undefined; // gone
  }
}

/**
 * CPU seconds of a process and every descendant, living or reaped: its own utime + stime, its
 * cutime + cstime (children that exited and were waited for, as the postmaster does with each
 * backend), and the same for its living children. USER_HZ is 100 on Linux.
 */
export function treeCpuSeconds(pid: number): number | null {
  const fields = statFields(pid);
  if (!fields) return null;
  const ticks = (f: string[], from: number, to: number) =>
    f.slice(from, to + 1).reduce((sum, value) => sum + Number(value), 0);
  // After the name: state is [0], utime [11], stime [12], cutime [13], cstime [14].
  let total = ticks(fields, 11, 14);
  let children: string[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
  } catch {
    // No children file (an old kernel): the living children's time is not counted.
  }
  for (const child of children.filter(Boolean)) {
    const childFields = statFields(Number(child));
    if (childFields) total += ticks(childFields, 11, 14);
  }
  return total / 100;
}

/** The uid and gid of the `postgres` user, when this runs as root (initdb refuses root). */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) {
    throw new Error('running as root, and there is no postgres user to run PostgreSQL as');
  }
  return { uid: Number(uid), gid: Number(gid) };
}

async function waitUntilAccepting(url: string, server: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) break;
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      await client.end().catch(() => {});
    }
  }
  let tail = '';
  try {
    tail = readFileSync(log, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    // no log yet
  }
  throw new Error(`PostgreSQL did not accept connections within ${START_TIMEOUT_MS} ms\n${tail}`);
}

/** A fresh server from the host's binaries (BENCH_POSTGRES_BIN, default Debian's 15). */
async function startOwnServer(bin: string): Promise<BenchPostgres> {
  const user = postgresUser();
  const dir = mkdtempSync(join(tmpdir(), 'quadrants-bench-pg-'));
  const data = join(dir, 'data');
  const socketDir = join(dir, 'socket');
  mkdirSync(socketDir);
  if (user) chownSync(dir, user.uid, user.gid);
  if (user) chownSync(socketDir, user.uid, user.gid);
  const asUser = user ? { uid: user.uid, gid: user.gid } : {};
  const cleanUp = () => rmSync(dir, { recursive: true, force: true });
  try {
    // --no-sync: initdb's own files need not reach the disk before the bench starts.
    execFileSync(
      join(bin, 'initdb'),
      ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'],
      { ...asUser, stdio: ['ignore', 'ignore', 'inherit'], cwd: dir },
    );
  } catch (error) {
    cleanUp();
    throw error;
  }
  const port = await freeLoopbackPort();
  const log = join(dir, 'postgres.log');
  const logFd = openSync(log, 'w');
  if (user) chownSync(log, user.uid, user.gid);
  const settings = { ...SERVER_SETTINGS, port: String(port), unix_socket_directories: socketDir };
  const server = spawn(
    join(bin, 'postgres'),
    [
      '-D',
      data,
      ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    { ...asUser, cwd: dir, stdio: ['ignore', logFd, logFd] },
  );
  // Whatever happens to the bench, its server does not outlive it.
  const kill = () => server.kill('SIGKILL');
  process.once('exit', kill);
  const stop = async () => {
    process.off('exit', kill);
    if (server.exitCode === null && server.signalCode === null) {
      const exited = once(server, 'exit');
      server.kill('SIGINT'); // fast shutdown: roll back what runs, checkpoint, exit
      const timer = setTimeout(kill, STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    cleanUp();
  };
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  try {
    await waitUntilAccepting(adminUrl, server, log);
  } catch (error) {
    await stop();
    throw error;
  }
  const version = execFileSync(join(bin, 'postgres'), ['--version'], { encoding: 'utf8' }).trim();
  const pid = server.pid ?? 0;
  return {
    adminUrl,
    pgbench: join(bin, 'pgbench'),
    description:
      `${version}, started by the bench in ${dir} (fsync on; ` +
      `${Object.entries(SERVER_SETTINGS)
        .filter(([name]) => name !== 'listen_addresses')
        .map(([name, value]) => `${name}=${value}`)
        .join(', ')})`,
    cpuSeconds: () => treeCpuSeconds(pid),
    stop,
  };
}

/**
 * BENCH_DATABASE_URL's server (its user needs CREATEDB; pgbench must be on PATH), else a fresh
 * one of the bench's own.
 */
export async function startBenchPostgres(): Promise<BenchPostgres> {
  const url = process.env.BENCH_DATABASE_URL?.trim();
  if (url) {
    return {
      adminUrl: url,
      pgbench: 'pgbench',
      description: 'the server of BENCH_DATABASE_URL, with its own settings',
      cpuSeconds: () => null,
      stop: async () => {},
    };
  }
  return startOwnServer(process.env.BENCH_POSTGRES_BIN?.trim() || DEFAULT_BIN);
}
