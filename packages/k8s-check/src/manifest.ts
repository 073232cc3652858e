import type { IPodSpec } from 'kubernetes-models/v1';

/** One object from a rendered overlay, as YAML gave it: only the type meta is known to exist. */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly [field: string]: unknown;
}

/** What a check found wrong, and exactly where. */
export interface Violation {
  /** Which check found it: schema, pod-security, project, namespace, contract. */
  readonly check: string;
  /** `Kind/name` of the object at fault, or of the object the contract expected. */
  readonly object: string;
  /** Dotted field path inside that object; empty when the object as a whole is at fault. */
  readonly path: string;
  readonly message: string;
}

/** A pod spec inside a workload, with the path that leads to it. */
export interface PodTemplate {
  readonly spec: IPodSpec;
  readonly path: string;
}

export function refOf(object: K8sObject): string {
  return `${object.kind}/${object.metadata.name}`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at `path` (dot-separated keys), or undefined when any step is missing. */
export function valueAt(object: unknown, path: string): unknown {
  let current = object;
  for (const key of path.split('.')) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** Where each kind that runs pods keeps its pod spec. */
const podSpecPaths: Readonly<Record<string, string>> = {
  Pod: 'spec',
  Deployment: 'spec.template.spec',
  StatefulSet: 'spec.template.spec',
  DaemonSet: 'spec.template.spec',
  ReplicaSet: 'spec.template.spec',
  Job: 'spec.template.spec',
  CronJob: 'spec.jobTemplate.spec.template.spec',
};

/** Kinds whose pods are meant to run until stopped, as opposed to running to completion. */
export const longRunningKinds: ReadonlySet<string> = new Set([
  'Pod',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
]);

export function runsPods(object: K8sObject): boolean {
  return object.kind in podSpecPaths;
}

/** The object's pod spec, or undefined for kinds that run no pods. */
export function podTemplateOf(object: K8sObject): PodTemplate | undefined {
  const path = podSpecPaths[object.kind];
  if (path === undefined) return undefined;
  const spec = valueAt(object, path);
  // Whether the fields have the right types is the schema check's finding; the pod checks
  // read whatever is there and treat a missing field as unset.
  const raw: unknown = isRecord(spec) ? spec : {};
  return { spec: raw as IPodSpec, path };
}
