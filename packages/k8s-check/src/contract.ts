import type { IPodSpec } from 'kubernetes-models/v1';
import {
  type K8sObject,
  type Problem,
  podTemplateOf,
  refOf,
  runsPods,
  type Violation,
  valueAt,
} from './manifest.ts';

type AccessMode = 'ReadWriteOnce' | 'ReadWriteMany';

/** Where a workload keeps its data: the storage column of the quadrant table. */
export type Storage =
  /** No volume of any kind. */
  | { readonly type: 'none' }
  /** Mounts a PersistentVolumeClaim that the same overlay creates, with this access mode. */
  | { readonly type: 'claim'; readonly accessMode: AccessMode }
  /** A StatefulSet: one claim per pod from volumeClaimTemplates, named by a headless Service. */
  | { readonly type: 'claimTemplates'; readonly accessMode: AccessMode }
  /** Memory only: every emptyDir has medium Memory, and nothing is backed by a disk. */
  | { readonly type: 'memory' }
  /** An initContainer fills an emptyDir that the main containers mount read-only. */
  | { readonly type: 'seededEmptyDir' };

/** A workload meant to keep running, with the replica count its survival promise needs. */
export interface LongRunningWorkload {
  readonly kind: 'Deployment' | 'StatefulSet';
  readonly name: string;
  readonly storage: Storage;
  /** Replicas (or the HPA's minReplicas) at least this: the count the survival promise needs. */
  readonly minReplicas: number;
  /** A HorizontalPodAutoscaler must target this workload. */
  readonly autoscaled?: boolean;
}

/** A workload that runs to completion, such as a schema migration: it has no replica count. */
export interface OneShotWorkload {
  readonly kind: 'Job';
  readonly name: string;
  readonly storage: Storage;
}

export type Workload = LongRunningWorkload | OneShotWorkload;

export interface ServiceContract {
  readonly quadrant: 'A' | 'B' | "B'" | 'C' | 'D';
  readonly workloads: readonly Workload[];
}

/**
 * The quadrant contract of docs/architecture.md, as data: what each service runs as and on which storage.
 * A service is checked in an overlay that lists it below, or that renders any of its workloads.
 */
export const quadrantContract = {
  transactions: {
    quadrant: 'A',
    workloads: [
      { kind: 'Deployment', name: 'transactions', storage: { type: 'none' }, minReplicas: 2 },
      {
        kind: 'StatefulSet',
        name: 'transactions-postgres',
        storage: { type: 'claimTemplates', accessMode: 'ReadWriteOnce' },
        // One primary: PostgreSQL here is not replicated; its disk is what survives.
        minReplicas: 1,
      },
      // The schema's migrations, run once per apply before the API can be ready.
      { kind: 'Job', name: 'transactions-migrate', storage: { type: 'none' } },
    ],
  },
  uploads: {
    quadrant: 'B',
    workloads: [
      {
        kind: 'Deployment',
        name: 'uploads',
        storage: { type: 'claim', accessMode: 'ReadWriteMany' },
        minReplicas: 2,
      },
    ],
  },
  'static-site': {
    quadrant: "B'",
    workloads: [
      {
        kind: 'Deployment',
        name: 'static-site',
        storage: { type: 'seededEmptyDir' },
        minReplicas: 2,
      },
    ],
  },
  geo: {
    quadrant: 'C',
    workloads: [
      {
        kind: 'Deployment',
        name: 'geo',
        storage: { type: 'none' },
        minReplicas: 2,
        autoscaled: true,
      },
    ],
  },
  basket: {
    quadrant: 'D',
    workloads: [
      { kind: 'Deployment', name: 'basket', storage: { type: 'none' }, minReplicas: 2 },
      // One Redis: losing it loses the baskets, which is quadrant D's documented trade.
      { kind: 'Deployment', name: 'basket-redis', storage: { type: 'memory' }, minReplicas: 1 },
    ],
  },
} as const satisfies Readonly<Record<string, ServiceContract>>;

export type ServiceName = keyof typeof quadrantContract;

/**
 * The services each overlay must render. Every folder in k8s/overlays needs an entry, so a new
 * overlay cannot silently drop a service.
 */
export const overlayServices: Readonly<Record<string, readonly ServiceName[]>> = {
  cloud: ['transactions', 'geo'],
  kind: ['transactions', 'geo'],
};

/** The services the contract check covers for these objects: expected ones and present ones. */
export function servicesToCheck(
  objects: readonly K8sObject[],
  expected: readonly string[],
  contract: Readonly<Record<string, ServiceContract>> = quadrantContract,
): string[] {
  const names = new Set(objects.filter(runsPods).map((o) => o.metadata.name));
  const present = Object.entries(contract)
    .filter(([, service]) => service.workloads.some((w) => names.has(w.name)))
    .map(([name]) => name);
  return [...new Set([...expected, ...present])];
}

/**
 * Asserts the quadrant contract: each service's workloads exist with the right kind, replica
 * floor and storage; and every workload in the overlay belongs to some service's contract.
 */
export function checkContract(
  objects: readonly K8sObject[],
  expected: readonly string[],
  contract: Readonly<Record<string, ServiceContract>> = quadrantContract,
): Violation[] {
  const found: Violation[] = [];
  const violation = (object: string, path: string, message: string): void => {
    found.push({ check: 'contract', object, path, message });
  };

  for (const serviceName of servicesToCheck(objects, expected, contract)) {
    const service = contract[serviceName];
    if (service === undefined) {
      violation(`service/${serviceName}`, '', 'has no entry in the quadrant contract');
      continue;
    }
    for (const workload of service.workloads) {
      const label = `${serviceName} (quadrant ${service.quadrant})`;
      const ref = `${workload.kind}/${workload.name}`;
      const object = objects.find((o) => runsPods(o) && o.metadata.name === workload.name);
      if (object === undefined) {
        violation(ref, '', `${label} needs it, and the overlay renders no workload of that name`);
        continue;
      }
      if (object.kind !== workload.kind) {
        violation(ref, 'kind', `${label} runs it as a ${workload.kind}, not a ${object.kind}`);
        continue;
      }
      for (const [path, message] of [
        ...replicaProblems(object, workload, objects),
        ...storageProblems(object, workload.storage, objects),
      ]) {
        violation(ref, path, `${label}: ${message}`);
      }
    }
  }

  const contracted = new Set(
    Object.values(contract).flatMap((service) => service.workloads.map((w) => w.name)),
  );
  for (const object of objects.filter((o) => runsPods(o) && !contracted.has(o.metadata.name))) {
    violation(refOf(object), '', 'belongs to no service in the quadrant contract');
  }
  return found;
}

function replicaProblems(
  object: K8sObject,
  workload: Workload,
  objects: readonly K8sObject[],
): Problem[] {
  // A Job's pods run to completion: how many run at once is not a survival promise.
  if (workload.kind === 'Job') return [];
  if (workload.autoscaled) {
    const hpa = objects.find(
      (o) =>
        o.kind === 'HorizontalPodAutoscaler' &&
        valueAt(o, 'spec.scaleTargetRef.kind') === workload.kind &&
        valueAt(o, 'spec.scaleTargetRef.name') === workload.name,
    );
    if (hpa === undefined) return [['', 'needs a HorizontalPodAutoscaler targeting it']];
    const min = numberOr(valueAt(hpa, 'spec.minReplicas'), 1);
    return min >= workload.minReplicas
      ? []
      : [['', `its HPA's minReplicas is ${min}; it needs at least ${workload.minReplicas}`]];
  }
  const replicas = numberOr(valueAt(object, 'spec.replicas'), 1);
  return replicas >= workload.minReplicas
    ? []
    : [['spec.replicas', `is ${replicas}; it needs at least ${workload.minReplicas}`]];
}

function storageProblems(
  object: K8sObject,
  storage: Storage,
  objects: readonly K8sObject[],
): Problem[] {
  // runsPods(object) held when the caller found it, so there is a pod template.
  const { spec, path } = podTemplateOf(object) ?? { spec: { containers: [] }, path: 'spec' };
  const volumes = (spec.volumes ?? []).map((volume, index) => ({
    volume,
    path: `${path}.volumes[${index}]`,
  }));
  const claimTemplates = arrayAt(object, 'spec.volumeClaimTemplates');
  const claims = volumes.filter(({ volume }) => volume.persistentVolumeClaim !== undefined);
  const emptyDirs = volumes.filter(({ volume }) => volume.emptyDir !== undefined);
  const noDisk = (): Problem[] => [
    ...claims.map(({ path }): Problem => [path, 'must not mount a PersistentVolumeClaim']),
    ...claimTemplates.map(
      (_, i): Problem => [`spec.volumeClaimTemplates[${i}]`, 'must not claim a disk'],
    ),
  ];

  switch (storage.type) {
    case 'none':
      return [
        ...volumes.map(({ path }): Problem => [path, 'must have no volumes at all']),
        ...claimTemplates.map(
          (_, i): Problem => [`spec.volumeClaimTemplates[${i}]`, 'must have no volumes at all'],
        ),
      ];
    case 'claim': {
      if (claims.length === 0) return [[`${path}.volumes`, 'must mount a PersistentVolumeClaim']];
      return claims.flatMap(({ volume, path }): Problem[] => {
        const claimName = volume.persistentVolumeClaim?.claimName;
        const claim = objects.find(
          (o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === claimName,
        );
        if (claim === undefined) {
          return [
            [`${path}.persistentVolumeClaim.claimName`, `${claimName} is not in the overlay`],
          ];
        }
        return arrayAt(claim, 'spec.accessModes').includes(storage.accessMode)
          ? []
          : [[`${path}.persistentVolumeClaim`, `${claimName} must be ${storage.accessMode}`]];
      });
    }
    case 'claimTemplates': {
      const problems: Problem[] = [];
      if (claimTemplates.length === 0) {
        problems.push(['spec.volumeClaimTemplates', 'must claim a volume per pod']);
      }
      claimTemplates.forEach((claim, i) => {
        if (!arrayAt(claim, 'spec.accessModes').includes(storage.accessMode)) {
          problems.push([
            `spec.volumeClaimTemplates[${i}].spec.accessModes`,
            `must be ${storage.accessMode}`,
          ]);
        }
      });
      const serviceName = valueAt(object, 'spec.serviceName');
      const headless = objects.find(
        (o) =>
          o.kind === 'Service' &&
          o.metadata.name === serviceName &&
          valueAt(o, 'spec.clusterIP') === 'None',
      );
      if (headless === undefined) {
        problems.push(['spec.serviceName', 'must name a headless Service (clusterIP: None)']);
      }
      return problems;
    }
    case 'memory': {
      const problems = noDisk();
      if (emptyDirs.length === 0) problems.push([`${path}.volumes`, 'must have an emptyDir']);
      for (const { volume, path } of emptyDirs) {
        if (volume.emptyDir?.medium !== 'Memory') {
          problems.push([`${path}.emptyDir.medium`, 'must be Memory: nothing here is on disk']);
        }
      }
      return problems;
    }
    case 'seededEmptyDir': {
      const problems = noDisk();
      const emptyDirNames = new Set(emptyDirs.map(({ volume }) => volume.name));
      (spec.containers ?? []).forEach((container, c) => {
        (container.volumeMounts ?? []).forEach((mount, m) => {
          if (emptyDirNames.has(mount.name) && mount.readOnly !== true) {
            problems.push([
              `${path}.containers[${c}].volumeMounts[${m}].readOnly`,
              'must be true: only the initContainer writes the seeded copy',
            ]);
          }
        });
      });
      if (!emptyDirs.some(({ volume }) => isSeeded(spec, volume.name))) {
        problems.push([
          `${path}.volumes`,
          'must have an emptyDir that an initContainer writes and the containers mount read-only',
        ]);
      }
      return problems;
    }
  }
}

/** An initContainer mounts the volume writable, and every main container mounts it read-only. */
function isSeeded(spec: IPodSpec, volumeName: string): boolean {
  const mountsOf = (containers: IPodSpec['containers'] | undefined) =>
    (containers ?? []).map((c) => (c.volumeMounts ?? []).find((m) => m.name === volumeName));
  const writtenByInit = mountsOf(spec.initContainers).some((m) => m !== undefined && !m.readOnly);
  const mains = mountsOf(spec.containers);
  const readByMain = mains.some((m) => m !== undefined);
  const neverWritten = mains.every((m) => m === undefined || m.readOnly === true);
  return writtenByInit && readByMain && neverWritten;
}

function arrayAt(object: unknown, path: string): unknown[] {
  const value = valueAt(object, path);
  return Array.isArray(value) ? value : [];
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}
