import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Echo the command's output as it runs (for long builds). */
  inherit?: boolean;
}

/** Runs a command and returns its stdout; a non-zero exit throws with its stderr. */
export async function run(command: string, args: string[], options: RunOptions = {}) {
  const env = { ...process.env, ...options.env };
  if (options.inherit) {
    const child = spawn(command, args, { env, cwd: options.cwd, stdio: 'inherit' });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', resolve);
    });
    if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}`);
    return '';
  }
  try {
    const { stdout } = await execFileAsync(command, args, {
      env,
      cwd: options.cwd,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`${command} ${args.join(' ')} failed: ${stderr.trim()}`, { cause: error });
  }
}
