import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export interface LogLine {
  msg?: string;
  [field: string]: unknown;
}

export interface ServiceProcess {
  child: ChildProcess;
  lines: LogLine[];
  /** Everything the process wrote to stderr (a stack trace would land here). */
  stderr(): string;
  /** Resolves with the first log line (already seen or still to come) that matches. */
  waitFor(match: (line: LogLine) => boolean): Promise<LogLine>;
  exited: Promise<number | null>;
}

/** Runs a TypeScript entry point as a real Node process and reads its JSON log lines. */
export function startProcess(entry: string, env: Record<string, string> = {}): ServiceProcess {
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines: LogLine[] = [];
  const waiters: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  const exited = once(child, 'exit').then(([code]) => code as number | null);

  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
    const line = JSON.parse(text) as LogLine;
    lines.push(line);
    for (const waiter of waiters.filter((w) => w.match(line))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  });

  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    waitFor(match) {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ match, resolve });
        exited.then((code) => reject(new Error(`process exited (${code}) before the line came`)));
      });
    },
  };
}
