import type { Server } from 'node:http';
import type { Express } from 'express';
import { type BaseConfig, ConfigError } from './config.ts';
import { createHealth, type Health } from './health.ts';
import { createLifecycle, type ListenOptions, type Resource } from './lifecycle.ts';
import { createLogger, type Logger } from './logging.ts';
import { createMetrics, type Metrics } from './metrics.ts';

/** What every service's createApp takes from the kit, besides its own dependencies. */
export interface ServiceKit {
  log: Logger;
  metrics: Metrics;
  health: Health;
  /** Aborts when shutdown stops taking requests; long responses end themselves on it. */
  stopping: AbortSignal;
  /** Largest JSON body any route accepts, e.g. `100kb`; larger ones answer 413. */
  bodyLimit: string;
}

export interface StartContext<Config> {
  config: Config;
  kit: ServiceKit;
  /** One registration per dependency: its name, its readiness check, its close. */
  register(resource: Resource): void;
  /** Runs one opening step (connect, migrate); if it throws, the fatal line names it. */
  step<T>(name: string, run: () => T | Promise<T>): Promise<T>;
  /** The last step: serve `app`. A port already in use is one fatal line naming it. */
  listen(app: Express, options: ListenOptions): Promise<Server>;
}

export interface ServiceDefinition<Config extends BaseConfig> {
  name: string;
  /** The service's own config.ts loader; a ConfigError stops start-up with one line. */
  loadConfig(): Config;
  /** main's opening steps, in order: open each client, register it, build the app, listen. */
  start(context: StartContext<Config>): Promise<void>;
}

class StepFailed extends Error {
  readonly step: string;

  constructor(step: string, cause: unknown, message = `start-up failed at ${step}`) {
    super(message, { cause });
    this.step = step;
  }
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

/**
 * Runs a service process: loads its config, makes the logger, health, metrics and lifecycle,
 * handles signals and process-level errors, and runs `start`. When any opening step throws it
 * logs one structured fatal line, closes what was already opened and exits 1.
 */
export async function runService<Config extends BaseConfig>(
  definition: ServiceDefinition<Config>,
): Promise<void> {
  const { name } = definition;
  let config: Config;
  try {
    config = definition.loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    createLogger({ service: name, level: 'info' }).fatal(
      { problems: error.problems },
      `invalid configuration: ${error.problems.join('; ')}`,
    );
    process.exitCode = 1;
    return;
  }

  const log = createLogger({ service: name, level: config.LOG_LEVEL });
  const health = createHealth({ checkTimeoutMs: config.READINESS_TIMEOUT_MS });
  const metrics = createMetrics({ service: name });
  const lifecycle = createLifecycle({
    log,
    health,
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    drainDelayMs: config.SHUTDOWN_DELAY_MS,
  });
  lifecycle.handleProcessEvents();

  const step = async <T>(stepName: string, run: () => T | Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw error instanceof StepFailed ? error : new StepFailed(stepName, error);
    }
  };

  try {
    await definition.start({
      config,
      kit: { log, metrics, health, stopping: lifecycle.stopping, bodyLimit: config.BODY_LIMIT },
      register: lifecycle.register,
      step,
      async listen(app, options) {
        try {
          return await lifecycle.listen(app, options);
        } catch (error) {
          if (!isErrno(error, 'EADDRINUSE')) throw new StepFailed('listen', error);
          const { port, host } = options;
          // A busy port is an everyday slip, not a bug: one line saying what to do, no stack.
          throw new StepFailed(
            'listen',
            undefined,
            `port ${port} on ${host} is in use: stop what holds it, or set PORT to another port`,
          );
        }
      },
    });
  } catch (error) {
    const failed = error instanceof StepFailed ? error : new StepFailed('start', error);
    log.fatal(
      { step: failed.step, ...(failed.cause === undefined ? {} : { err: failed.cause }) },
      failed.message,
    );
    await lifecycle.shutdown('start-up failed', 1);
  }
}
