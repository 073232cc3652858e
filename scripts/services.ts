// The services this repository runs, in one place: what `pnpm start` starts and what the e2e
// suite's local target runs as processes. Each target has host ports of its own, so all three
// can run at once: `pnpm start` 808N (here), docker-compose.yml 1808N, kind 3008N (the NodePort
// that k8s/overlays/kind maps to the same port on 127.0.0.1).
import { fileURLToPath } from 'node:url';

/** The kinds of backing store a service may keep its data in. */
export type StoreKind = 'postgres' | 'redis';

export interface ServiceSpec {
  name: string;
  /** The port `pnpm start` serves it on, unless `portVariable` says otherwise. */
  port: number;
  /** The variable that moves it under `pnpm start`: GEO_PORT for geo. */
  portVariable: string;
  /** How many replicas the e2e suite runs, as Kubernetes would. */
  replicas: number;
  entry: string;
  /**
   * The backing store it keeps its data in, if any. `pnpm start` gives a `postgres` service
   * DATABASE_URL: the variable's own value when it is set, else an embedded PostgreSQL. A
   * `redis` service gets REDIS_URL's server when that is set, else its in-process store
   * (BASKET_STORE=memory for basket).
   */
  store?: StoreKind;
  /** A one-shot `pnpm start` runs to completion before the service (its schema migrations). */
  migrate?: string;
}

const root = fileURLToPath(new URL('..', import.meta.url));

function service(name: string, port: number, replicas: number): ServiceSpec {
  return {
    name,
    port,
    portVariable: `${name.toUpperCase().replaceAll('-', '_')}_PORT`,
    replicas,
    entry: `${root}services/${name}/src/main.ts`,
  };
}

export const services: readonly ServiceSpec[] = [
  {
    ...service('transactions', 8081, 2),
    store: 'postgres',
    migrate: `${root}services/transactions/src/migrate.ts`,
  },
  service('geo', 8084, 2),
  // Two replicas on one Redis in the e2e suite, as in Kubernetes. `pnpm start` runs one process
  // of every service anyway, and without REDIS_URL it must: the memory store lives in it.
  { ...service('basket', 8085, 2), store: 'redis' },
];

export function serviceNamed(name: string): ServiceSpec {
  const spec = services.find((s) => s.name === name);
  if (!spec) throw new Error(`no service named ${name}`);
  return spec;
}
