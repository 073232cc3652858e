// The baseline: Debian's nginx serving one directory on a free loopback port, as a child process
// of the bench (`daemon off`), its configuration, pid, logs and temporary files in a directory of
// the bench's own. Set up as a static server in production would be: sendfile, an open-file
// cache, no access log (the service logs no 2xx at info either), the site's Cache-Control, a 404
// page, no directory listing, tcp_nopush off (below).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freeLoopbackPort } from '@quadrants/service-kit/testing';
import { cpuSeconds } from '../lib/spawn-server.ts';

export const NGINX = process.env.BENCH_NGINX?.trim() || '/usr/sbin/nginx';

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

export interface NginxProcess {
  name: string;
  baseUrl: string;
  /** CPU seconds of the master and its workers so far; null where /proc is missing. */
  cpuSeconds(): number | null;
  /** The workers' peak resident set, summed, in bytes; null where /proc is missing. */
  peakRssBytes(): number | null;
  stop(): Promise<void>;
}

/** The pids of `pid`'s children (Linux: /proc/<pid>/task/<pid>/children). */
function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function peakRss(pid: number): number | null {
  try {
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? null : Number(kib) * 1024;
  } catch {
    return null;
  }
}

function config(options: { dir: string; root: string; port: number; workers: number }): string {
  const { dir, root, port, workers } = options;
  const quoted = (path: string) => JSON.stringify(path);
  return `# Written by bench/static-site for one run; removed with its directory.
daemon off;
worker_processes ${workers};
pid ${quoted(join(dir, 'nginx.pid'))};
error_log ${quoted(join(dir, 'error.log'))} warn;

events {
  worker_connections 1024;
}

http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  server_tokens off;
  sendfile on;
  # On (TCP_CORK), about 1 in 100 answers of the 100 KiB asset waited out a 40 ms delayed ACK
  # on the loopback: p99 43 ms, where off gives 1.2 ms and the same requests/s.
  tcp_nopush off;
  open_file_cache max=1000 inactive=60s;
  # autocannon keeps its connections for the whole window; so does Node's server.
  keepalive_requests 1000000;
  keepalive_timeout 65s;
  client_body_temp_path ${quoted(join(dir, 'client-body'))};
  proxy_temp_path ${quoted(join(dir, 'proxy'))};
  fastcgi_temp_path ${quoted(join(dir, 'fastcgi'))};
  uwsgi_temp_path ${quoted(join(dir, 'uwsgi'))};
  scgi_temp_path ${quoted(join(dir, 'scgi'))};

  server {
    listen 127.0.0.1:${port};
    root ${quoted(root)};
    autoindex off;
    disable_symlinks on;
    error_page 404 /404.html;
    location / {
      add_header Cache-Control "no-cache";
    }
    location /assets/ {
      add_header Cache-Control "public, max-age=31536000, immutable";
    }
  }
}
`;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  // TERM is nginx's fast shutdown: the master stops its workers and exits.
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts nginx serving `root`, its files in `dir` (made here). Resolves once GET / answers, or
 * fails naming nginx's error log.
 */
export async function startNginx(options: {
  dir: string;
  root: string;
  workers: number;
}): Promise<NginxProcess> {
  const { dir, root, workers } = options;
  await mkdir(dir, { recursive: true });
  const port = await freeLoopbackPort();
  const file = join(dir, 'nginx.conf');
  await writeFile(file, config({ dir, root, port, workers }));
  // -e: the error log before the configuration is read, which would otherwise be /var/log/nginx.
  const child = spawn(NGINX, ['-p', dir, '-c', file, '-e', join(dir, 'error.log')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    await stopChild(child);
    process.removeListener('exit', killOnExit);
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  const spawned = once(child, 'spawn').then(
    () => true,
    () => false,
  );
  if (!(await spawned)) throw new Error(`nginx: ${NGINX} could not be started`);
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      const response = await fetch(`${baseUrl}/`);
      await response.arrayBuffer();
      if (response.status === 200) {
        const pid = child.pid ?? 0;
        const tree = () => [pid, ...children(pid)];
        return {
          name: 'nginx',
          baseUrl,
          cpuSeconds: () => {
            const figures = tree().map(cpuSeconds);
            return figures.some((f) => f === null)
              ? null
              : figures.reduce<number>((a, b) => a + (b ?? 0), 0);
          },
          peakRssBytes: () => {
            const figures = children(pid).map(peakRss);
            return figures.length === 0 || figures.some((f) => f === null)
              ? null
              : figures.reduce<number>((a, b) => a + (b ?? 0), 0);
          },
          stop,
        };
      }
      throw new Error(`nginx: GET / answered ${response.status}; see ${join(dir, 'error.log')}`);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('nginx:')) {
        await stop();
        throw error;
      }
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(
    `nginx: not answering within ${START_TIMEOUT_MS} ms (exit code ${child.exitCode}); see ${join(dir, 'error.log')}`,
  );
}
