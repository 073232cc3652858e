import { baseConfigShape, intVar, loadConfig } from '@quadrants/service-kit';

export const configShape = {
  ...baseConfigShape,
  /** 8084 is geo's port when all five services run side by side on one machine. */
  PORT: intVar({ min: 0, max: 65_535 }).default(8084),
  /** See the kit's LifecycleOptions.drainDelayMs; 0 on Kubernetes, where preStop waits. */
  SHUTDOWN_DELAY_MS: intVar({ min: 0, max: 60_000 }).default(0),
};

export type Config = ReturnType<typeof loadGeoConfig>;

export function loadGeoConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(configShape, env);
}
