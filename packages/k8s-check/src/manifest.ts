import type { IContainer, IPodSpec, IPodTemplateSpec, IProbe } from 'kubernetes-models/v1';

/** One object from a rendered overlay, as YAML gave it: only the type meta is known to exist. */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly [field: string]: unknown;
}

/** What a check found wrong, and exactly where. */
export interface Violation {
  /**
   * Which check found it: schema, api, pod-security, project, namespace, selectors, contract,
   * budget.
   */
  readonly check: string;
  /** `Kind/name` of the object at fault, or of the object the contract expected. */
  readonly object: string;
  /** Dotted field path inside that object; empty when the object as a whole is at fault. */
  readonly path: string;
  readonly message: string;
}

/** A violation before it is tied to its object and check: where, and what is wrong there. */
export type Problem = [path: string, message: string];

/** The pod template in a workload (for a Pod, the Pod itself), with the paths that lead to it. */
export interface PodTemplate {
  readonly spec: IPodSpec;
  readonly path: string;
  /** The pods' own labels and annotations. */
  readonly metadata: NonNullable<IPodTemplateSpec['metadata']>;
  readonly metadataPath: string;
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

/** Where each kind that runs pods keeps its pod template, whose `metadata` and `spec` sit there. */
const podTemplatePaths: Readonly<Record<string, string>> = {
  Pod: '',
  Deployment: 'spec.template',
  StatefulSet: 'spec.template',
  DaemonSet: 'spec.template',
  ReplicaSet: 'spec.template',
  Job: 'spec.template',
  CronJob: 'spec.jobTemplate.spec.template',
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
  return object.kind in podTemplatePaths;
}

/** The object's pod template, or undefined for kinds that run no pods. */
export function podTemplateOf(object: K8sObject): PodTemplate | undefined {
  const root = podTemplatePaths[object.kind];
  if (root === undefined) return undefined;
  const pathOf = (field: string) => (root ? `${root}.${field}` : field);
  const spec = valueAt(object, pathOf('spec'));
  const metadata = valueAt(object, pathOf('metadata'));
  // Whether the fields have the right types is the schema check's finding; the pod checks
  // read whatever is there and treat a missing field as unset.
  const rawSpec: unknown = isRecord(spec) ? spec : {};
  const rawMetadata: unknown = isRecord(metadata) ? metadata : {};
  return {
    spec: rawSpec as IPodSpec,
    path: pathOf('spec'),
    metadata: rawMetadata as PodTemplate['metadata'],
    metadataPath: pathOf('metadata'),
  };
}

export interface ContainerAt {
  readonly container: IContainer;
  readonly path: string;
}

/** Every container of the pod, init and ephemeral ones included, with its path. */
export function allContainers(template: PodTemplate): ContainerAt[] {
  const { spec, path } = template;
  const lists = {
    containers: spec.containers,
    initContainers: spec.initContainers,
    ephemeralContainers: spec.ephemeralContainers,
  };
  return Object.entries(lists).flatMap(([field, list]) =>
    (Array.isArray(list) ? list : []).map((container: IContainer, index: number) => ({
      container,
      path: `${path}.${field}[${index}]`,
    })),
  );
}

/** A probe or lifecycle hook: the kubelet may run it as an HTTP GET or a TCP connect. */
export interface HandlerAt {
  readonly handler: Pick<IProbe, 'httpGet' | 'tcpSocket'>;
  /** Its field in the container: `livenessProbe`, `lifecycle.preStop`, … */
  readonly field: string;
}

/** The container's probes and lifecycle hooks that are set. */
export function handlersOf(container: IContainer): HandlerAt[] {
  const handlers = {
    livenessProbe: container.livenessProbe,
    readinessProbe: container.readinessProbe,
    startupProbe: container.startupProbe,
    'lifecycle.postStart': container.lifecycle?.postStart,
    'lifecycle.preStop': container.lifecycle?.preStop,
  };
  return Object.entries(handlers).flatMap(([field, handler]) =>
    handler === undefined ? [] : [{ handler, field }],
  );
}
