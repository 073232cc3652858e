import { z } from 'zod';

/** Thrown when the environment does not describe a runnable service; names every bad variable. */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** An environment variable holding an integer in [min, max]; empty counts as unset. */
export function intVar(options: { min: number; max: number }) {
  return z
    .string()
    .trim()
    .regex(/^-?\d+$/, 'expected an integer')
    .transform(Number)
    .pipe(z.number().int().min(options.min).max(options.max));
}

/** A size such as `100kb`, `1mb` or a plain number of bytes, as express.json's `limit` takes it. */
export const byteSizeVar = z
  .string()
  .trim()
  .regex(/^\d+(b|kb|mb)?$/i, 'expected a size such as 512kb or 1mb');

/** What every service reads; each service extends this with its own variables. */
export const baseConfigShape = {
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Whole budget for draining and closing after SIGTERM; keep it under the pod's grace period. */
  SHUTDOWN_TIMEOUT_MS: intVar({ min: 0, max: 600_000 }).default(10_000),
  /**
   * Time between turning unready and closing the listener (LifecycleOptions.drainDelayMs); 0 on
   * Kubernetes, where the pod's preStop sleep does this job.
   */
  SHUTDOWN_DELAY_MS: intVar({ min: 0, max: 60_000 }).default(0),
  /** Largest request body any route accepts. */
  BODY_LIMIT: byteSizeVar.default('100kb'),
  /**
   * How long one readiness check may take before /readyz calls it failing. Below the probe's
   * timeoutSeconds (2 in k8s/base), so the probe hears "not ready" rather than a timeout.
   */
  READINESS_TIMEOUT_MS: intVar({ min: 1, max: 60_000 }).default(1_000),
};

/** Variables whose values are never repeated in a message: they name a secret. */
const SECRET_NAME = /(PASSWORD|SECRET|TOKEN|CREDENTIALS?|_KEY)$/;

/** A value as a message may show it: a secret variable hidden, a URL's password masked. */
function shown(name: string, value: string): string {
  if (SECRET_NAME.test(name)) return '(hidden)';
  try {
    const url = new URL(value);
    if (url.password === '') return JSON.stringify(value);
    url.password = '***';
    return JSON.stringify(url.href);
  } catch {
    // Not a URL the parser takes (redis://u:pw@ with no host, a missing colon), but it may
    // still hold credentials: whatever sits between // and the last @ is masked.
    return JSON.stringify(value.replace(/\/\/[^/]*@/, '//***@'));
  }
}

/** The part of every service's config that the kit itself reads. */
export type BaseConfig = z.infer<z.ZodObject<typeof baseConfigShape>>;

/**
 * Parses `env` with `shape`. Unset or empty variables take their defaults; anything else that
 * does not fit stops start-up with a message naming the variable and what was wrong (never a
 * secret's value, nor a URL's password).
 */
export function loadConfig<Shape extends z.ZodRawShape>(
  shape: Shape,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<Shape>> {
  const present = Object.fromEntries(
    Object.keys(shape)
      .map((name) => [name, env[name]] as const)
      .filter(([, value]) => value !== undefined && value.trim() !== ''),
  );
  const result = z.object(shape).safeParse(present);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = issue.path.join('.');
        const value = present[name];
        return value === undefined
          ? `${name}: ${issue.message}`
          : `${name}: ${issue.message} (got ${shown(name, value)})`;
      }),
    );
  }
  return result.data;
}
