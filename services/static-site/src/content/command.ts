import { ConfigError, createLogger, type Logger } from '@quadrants/service-kit';

/**
 * Runs a one-shot command (sync, seed) as runService runs the server: a ConfigError is one fatal
 * line, SIGTERM and SIGINT abort `run` through its signal (exit 143 / 130), and any other
 * failure is one fatal line and exit 1.
 */
export async function runCommand<Config extends { LOG_LEVEL: string }>(definition: {
  name: string;
  loadConfig(): Config;
  run(context: { config: Config; log: Logger; signal: AbortSignal }): Promise<void>;
}): Promise<void> {
  let config: Config;
  try {
    config = definition.loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    createLogger({ service: 'static-site', level: 'info' }).fatal(
      { command: definition.name, problems: error.problems },
      `invalid configuration: ${error.problems.join('; ')}`,
    );
    process.exitCode = 1;
    return;
  }
  const log = createLogger({ service: 'static-site', level: config.LOG_LEVEL }).child({
    command: definition.name,
  });
  const controller = new AbortController();
  const codes = { SIGTERM: 143, SIGINT: 130 } as const;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log.info({ signal }, `${definition.name} stopped by ${signal}`);
      process.exitCode = codes[signal];
      controller.abort(new Error(`stopped by ${signal}`));
    });
  }
  try {
    await definition.run({ config, log, signal: controller.signal });
  } catch (error) {
    if (controller.signal.aborted) return;
    log.fatal({ err: error }, `${definition.name} failed: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
