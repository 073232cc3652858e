export {
  type BaseConfig,
  baseConfigShape,
  byteSizeVar,
  ConfigError,
  intVar,
  loadConfig,
} from './config.ts';
export {
  AppError,
  Conflict,
  type FieldProblem,
  InsufficientStorage,
  Invalid,
  MethodNotAllowed,
  NotFound,
  PROBLEM_CONTENT_TYPE,
  PreconditionFailed,
  type ProblemDocument,
  parseOrThrow,
  problemDocument,
  problemHandler,
  RangeNotSatisfiable,
  TooLarge,
  Unavailable,
  Unprocessable,
  UnsupportedMediaType,
} from './errors.ts';
export { createHealth, type Health, type ReadinessCheck } from './health.ts';
export { createServiceApp, type ServiceAppOptions } from './http.ts';
export {
  fingerprint,
  KEY_PATTERN,
  KeyInUse,
  type KeyProblem,
  KeyReused,
  keyProblem,
  type StoredResponse,
} from './idempotency.ts';
export {
  type Closer,
  createLifecycle,
  type ErrorEmitter,
  type Lifecycle,
  type LifecycleOptions,
  type ListenOptions,
  type Resource,
} from './lifecycle.ts';
export { createLogger, type Logger, type LoggerOptions, useRequestLogging } from './logging.ts';
export { createMetrics, type Metrics } from './metrics.ts';
export {
  type JsonSchema,
  jsonBody,
  jsonResponse,
  type OpenApiDocument,
  openApiRoutes,
  problemResponse,
  problemSchema,
  queryParameter,
  queryParametersOf,
  ref,
  schemaOf,
} from './openapi.ts';
export {
  createHttpServer,
  dropRestOfBody,
  type HttpServer,
  type HttpServerOptions,
} from './server.ts';
export {
  runService,
  type ServiceDefinition,
  type ServiceKit,
  type StartContext,
} from './service.ts';
export { formatTraceparent, parseTraceparent, type TraceContext } from './trace.ts';
