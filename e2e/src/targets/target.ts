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
  up(): Promise<void>;
  down(): Promise<void>;
  driver(): Driver;
}

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
  /** Releases what the driver holds (port-forwards); the system keeps running. */
  close(): Promise<void>;
}
