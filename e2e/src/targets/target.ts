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
  /** Releases what the driver holds (port-forwards); the system keeps running. */
  close(): Promise<void>;
}
