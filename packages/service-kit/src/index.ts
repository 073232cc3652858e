export { baseConfigShape, byteSizeVar, ConfigError, intVar, loadConfig } from './config.ts';
export {
  AppError,
  Conflict,
  type FieldProblem,
  Invalid,
  NotFound,
  notFoundHandler,
  PROBLEM_CONTENT_TYPE,
  parseOrThrow,
  problemHandler,
  TooLarge,
  Unavailable,
  Unprocessable,
  UnsupportedMediaType,
} from './errors.ts';
export { createHealth, type Health, type ReadinessCheck } from './health.ts';
export { createServiceApp, type ServiceAppOptions } from './http.ts';
export {
  type Closer,
  createLifecycle,
  type Lifecycle,
  type LifecycleOptions,
} from './lifecycle.ts';
export { createLogger, type Logger, type LoggerOptions, useRequestLogging } from './logging.ts';
export { createMetrics, type Metrics } from './metrics.ts';
