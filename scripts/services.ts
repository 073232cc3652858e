// The services this repository runs, in one place: what `pnpm start` starts and what the e2e
// suite's local target runs as processes. Each target has host ports of its own, so all three
// can run at once: `pnpm start` 808N (here), docker-compose.yml 1808N, kind 3008N (the NodePort
// that k8s/overlays/kind maps to the same port on 127.0.0.1). static-site's object store
// follows the same scheme: 8090, 18090, 30090.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The kinds of backing store a service may keep its data in. */
export type StoreKind = 'postgres' | 'redis' | 'disk' | 's3';

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
   * (BASKET_STORE=memory for basket). A `disk` service writes one directory that all its
   * replicas share (diskEnv): `pnpm start` gives it <NAME>_DIR's own value when that is set,
   * else .data/<name>/ under the repository; the e2e local target a new temporary directory.
   * An `s3` service reads its content from a bucket (s3Env): `pnpm start` and the e2e local
   * target give it an embedded S3 server (scripts/embedded-s3.ts), seeded once by `seed`, and
   * each replica a directory of its own to sync into (replicaDirEnv).
   */
  store?: StoreKind;
  /** A one-shot `pnpm start` runs to completion before the service (its schema migrations). */
  migrate?: string;
  /** A one-shot that fills an `s3` service's bucket before the service starts; idempotent. */
  seed?: string;
  /**
   * A one-shot `pnpm start` runs once the service is ready, given its URL as <NAME>_URL, that
   * creates data through its API (the shop's accounts); idempotent.
   */
  seedThroughApi?: string;
}

const root = fileURLToPath(new URL('..', import.meta.url));

/** `service`'s own variable of that `suffix`: UPLOADS_DIR for uploads' DIR. */
export const variableOf = (service: string, suffix: string): string =>
  `${service.toUpperCase().replaceAll('-', '_')}_${suffix}`;

function service(name: string, port: number, replicas: number): ServiceSpec {
  return {
    name,
    port,
    portVariable: variableOf(name, 'PORT'),
    replicas,
    entry: `${root}services/${name}/src/main.ts`,
  };
}

export const services: readonly ServiceSpec[] = [
  {
    ...service('transactions', 8081, 2),
    store: 'postgres',
    migrate: `${root}services/transactions/src/migrate.ts`,
    seedThroughApi: `${root}services/transactions/src/seed-shop.ts`,
  },
  // Two replicas on one directory in the e2e suite, as on one volume in compose and Kubernetes.
  { ...service('uploads', 8082, 2), store: 'disk' },
  service('geo', 8084, 2),
  // Two replicas on one Redis in the e2e suite, as in Kubernetes. `pnpm start` runs one process
  // of every service anyway, and without REDIS_URL it must: the memory store lives in it.
  { ...service('basket', 8085, 2), store: 'redis' },
  // Two replicas, each syncing its own copy of the bucket at start-up, as the Deployment's two
  // pods do into their emptyDirs.
  {
    ...service('static-site', 8083, 2),
    store: 's3',
    seed: `${root}services/static-site/src/seed.ts`,
  },
];

/**
 * The one origin `pnpm start` puts in front of them (packages/gateway): `/api/<name>/` to each
 * service, the rest to static-site, on 8080 (compose's nginx 18080, kind's Gateway 30080).
 */
export const gateway: ServiceSpec = {
  name: 'gateway',
  port: 8080,
  portVariable: 'GATEWAY_PORT',
  replicas: 1,
  entry: `${root}packages/gateway/src/main.ts`,
};

export function serviceNamed(name: string): ServiceSpec {
  const spec = services.find((s) => s.name === name);
  if (!spec) throw new Error(`no service named ${name}`);
  return spec;
}

/**
 * What replica `replica` (1, 2, …) of a `disk` service gets: <NAME>_DIR, the directory every
 * replica shares, and <NAME>_INSTANCE, the name its temporary files carry there (at start-up a
 * replica sweeps those of its own name). A container's or pod's default, its hostname, is
 * unique; processes on one machine share one, so each gets `<name>-<replica>`. A process
 * started in place of a dead one takes its number, and so sweeps what the dead one left.
 */
export function diskEnv(
  service: ServiceSpec,
  directory: string,
  replica: number,
): Record<string, string> {
  return {
    [variableOf(service.name, 'DIR')]: directory,
    [variableOf(service.name, 'INSTANCE')]: `${service.name}-${replica}`,
  };
}

/** Where an `s3` service's bucket is, as the S3 SDK and static-site read it. */
export interface S3Access {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  /** The key prefix its content lives under: `site/`. */
  prefix: string;
}

/** The bucket and prefix static-site reads by default, on every target. */
export const staticSiteBucket = { bucket: 'static-site', prefix: 'site/' } as const;

/** What a process needs to reach `access`: the SDK's own variables, and the bucket's. */
export function s3Env(access: S3Access): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_S3: access.endpoint,
    AWS_REGION: access.region,
    AWS_ACCESS_KEY_ID: access.accessKeyId,
    AWS_SECRET_ACCESS_KEY: access.secretAccessKey,
    S3_BUCKET: access.bucket,
    S3_PREFIX: access.prefix,
  };
}

/**
 * What replica `replica` of an `s3` service gets besides s3Env: a directory of its own under
 * `root` to sync into and serve from (a pod's emptyDir), and the sync in its own process, since
 * no initContainer runs before it. A process started in place of a dead one takes its number and
 * directory, as a restarted container keeps its hostname (the sync starts a fresh release there).
 */
export function replicaDirEnv(root: string, replica: number): Record<string, string> {
  return { STATIC_DIR: join(root, String(replica)), STATIC_SYNC_ON_START: 'true' };
}
