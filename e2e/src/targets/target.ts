import type { S3Access } from '../../../scripts/services.ts';
import type { LocalDatabase } from './local-postgres.ts';
import type { LocalRedis } from './local-redis.ts';

/** One running copy of a service that the suite can address on its own. */
export interface Replica {
  id: string;
  url: string;
}

/**
 * Where the system runs. `up` and `down` run once, in vitest's global setup; the test files
 * get a `Driver` that attaches to the running system and performs faults the way that
 * platform would suffer them.
 */
export interface Target {
  readonly name: TargetName;
  /** Brings up every service (building what it must) and waits until each is ready. */
  up(): Promise<TargetState>;
  down(): Promise<void>;
  /** A driver in a test worker; `state` is what `up` returned, passed on by vitest. */
  driver(state: TargetState): Driver;
}

/** What `up` learnt that the drivers in the test workers need: plain JSON. */
export interface TargetState {
  /** local: transactions' PostgreSQL, which the global setup started (or DATABASE_URL names). */
  transactionsDatabase?: LocalDatabase;
  /** local: basket's Redis, which the global setup started (or REDIS_URL names). */
  basketRedis?: LocalRedis;
  /**
   * local: the directory every replica of a `disk` service shares (uploads), by service: a
   * new temporary one per run, made by the global setup and deleted by its teardown.
   */
  directories?: Record<string, string>;
  /**
   * local: static-site's embedded S3 server (s3rver), seeded by the global setup and stopped
   * again: each test worker's driver serves the same directory on the same port while it runs.
   */
  objectStore?: { dataDir: string; port: number; unavailable?: string };
}

/** A replica just started, not waited for: what its readiness says now. */
export interface NewReplica {
  id: string;
  /**
   * Whether it is ready, and what says so: its /readyz status, or on Kubernetes, while its
   * initContainer runs and nothing answers yet, the pod's phase and Ready condition.
   */
  readiness(): Promise<{ ready: boolean; detail: string }>;
}

export interface StoreRestartOptions {
  /** SIGKILL, as a crash or the OOM killer would; false: the platform's clean stop. */
  kill: boolean;
  /**
   * Runs once the store is down (no container or pod of it left) and before a new one is
   * made, to watch the service while it has no store.
   */
  whileDown?: () => Promise<void>;
}

/**
 * How a store is set up, where a service offers a choice: `base` as the base manifests and
 * docker-compose.yml run it; `persistent` as the persistent-basket component and
 * docker-compose.persistent-basket.yml do (basket's Redis with its append-only file on a disk).
 */
export type StoreVariant = 'base' | 'persistent';

export type TargetName = 'local' | 'compose' | 'kind';

export interface Driver {
  /**
   * The one origin (no trailing slash): `/api/<service>/…` to each service, the rest to
   * static-site, as the browser reaches them. local: a packages/gateway process in front of
   * the driver's balancers; compose: the `gateway` container (nginx); kind: the Gateway on
   * node port 30080.
   */
  shopOrigin(): Promise<string>;
  /** Where users reach `service`: a load-balanced entry where the platform has one. */
  entryUrl(service: string): Promise<string>;
  /** Each live replica of `service`, addressable on its own. */
  replicas(service: string): Promise<Replica[]>;
  /** Kills one replica without warning (SIGKILL, docker kill, pod deleted with no grace). */
  killReplica(service: string, replica: Replica): Promise<void>;
  /** Waits until `service` is back to its full count of ready replicas, and returns them. */
  waitForReplicas(service: string): Promise<Replica[]>;
  /** Sets how many replicas `service` should run (0 stops them all) and waits for it. */
  scale(service: string, replicas: number): Promise<void>;
  /**
   * Why this target cannot run `service` at all, or cannot restart its store or change its
   * variant (`'store'`); undefined when it can. The local target without Docker has no
   * PostgreSQL or Redis, and a server that DATABASE_URL or REDIS_URL names is not the suite's
   * to kill.
   */
  unsupported(service: string, need: 'service' | 'store'): string | undefined;
  /**
   * Stops `service`'s store (PostgreSQL for transactions, Redis for basket), deletes its
   * container or pod and brings a new one up, on the same data where the store has a disk
   * (volume, claim); resolves once the store and every replica of `service` are ready again.
   */
  restartStore(service: string, options: StoreRestartOptions): Promise<void>;
  /**
   * Sets up `service`'s store as `variant` and resolves once the store and every replica of
   * `service` are ready. A switch recreates the store, so whatever it held without a disk is
   * lost; back to `base`, the persistent variant's disk is deleted too, so that each switch
   * starts from an empty store. Only basket's store has variants; for others it throws.
   */
  useStoreVariant(service: string, variant: StoreVariant): Promise<void>;
  /**
   * Where the store is a workload of its own (kind: a StatefulSet): deletes the whole workload,
   * applies the manifests again and waits as `restartStore` does. The data must outlive it
   * (persistentVolumeClaimRetentionPolicy). Absent on targets with no such workload.
   */
  recreateStoreWorkload?(service: string): Promise<void>;
  /**
   * Where users reach `service` through a load balancer that stops sending a replica requests
   * before it stops (kind: the NodePort Service; local and compose: a balancer in the test
   * worker over the replicas the driver knows ready, src/balancer.ts).
   */
  balancedUrl(service: string): Promise<string>;
  /**
   * Replaces every replica of `service` with a new one, one at a time, each new one ready before
   * an old one leaves rotation and stops (kind: `kubectl rollout restart` and `rollout status`;
   * compose: a container added, then an old one drained and removed; local: likewise a process).
   * Resolves once only new replicas run, all ready.
   */
  rolloutRestart(service: string): Promise<void>;
  /**
   * Starts one replica more than `service` runs, without waiting for it to be ready; the full
   * count (waitForReplicas) includes it until `scale` takes it away again.
   */
  addReplica(service: string): Promise<NewReplica>;
  /** Where the host reaches `service`'s bucket (static-site's object store), to read and change it. */
  objectStore(service: string): Promise<S3Access>;
  /** Releases what the driver holds (port-forwards); the system keeps running. */
  close(): Promise<void>;
}
