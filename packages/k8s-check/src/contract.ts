import type { IPodSpec } from 'kubernetes-models/v1';
import {
  isRecord,
  type K8sObject,
  type Problem,
  podTemplateOf,
  refOf,
  runsPods,
  type Violation,
  valueAt,
} from './manifest.ts';
import { type LabelSelector, selectorMatches } from './selectors.ts';

type AccessMode = 'ReadWriteOnce' | 'ReadWriteMany';

/** Where a workload keeps its data: the storage column of the quadrant table. */
export type Storage =
  /** No volume of any kind. */
  | { readonly type: 'none' }
  /** Mounts a PersistentVolumeClaim that the same overlay creates, with this access mode. */
  | { readonly type: 'claim'; readonly accessMode: AccessMode }
  /** A StatefulSet: one claim per pod from volumeClaimTemplates, named by a headless Service. */
  | { readonly type: 'claimTemplates'; readonly accessMode: AccessMode }
  /**
   * Memory only: every emptyDir has medium Memory and a sizeLimit (a tmpfs without one may grow
   * to the pod's memory limit), and nothing is backed by a disk.
   */
  | { readonly type: 'memory' }
  /** An initContainer fills an emptyDir that the main containers mount read-only. */
  | { readonly type: 'seededEmptyDir' };

type Quadrant = 'A' | 'B' | "B'" | 'C' | 'D';

/** A workload meant to keep running, with the replica count its survival promise needs. */
export interface LongRunningWorkload {
  readonly kind: 'Deployment' | 'StatefulSet';
  readonly name: string;
  readonly storage: Storage;
  /**
   * Set when this workload is in another quadrant than its service: a stateless service's own
   * authoritative store (static-site's object store is quadrant A).
   */
  readonly quadrant?: Quadrant;
  /** Replicas (or the HPA's minReplicas) at least this: the count the survival promise needs. */
  readonly minReplicas: number;
  /** A HorizontalPodAutoscaler must target this workload. */
  readonly autoscaled?: boolean;
  /**
   * A PodDisruptionBudget must select its pods and let a drain evict one of them: without one a
   * drain may take every replica at once; with one that allows nothing, no drain ever ends.
   */
  readonly disruptionBudget?: boolean;
  /**
   * Its replicas always on different nodes: a topologySpreadConstraint over
   * `kubernetes.io/hostname` that selects its pods, with maxSkew 1 and DoNotSchedule. For a
   * service whose promise is about several nodes at once (uploads: one volume written from
   * two nodes), where two replicas on one node would pass without proving it.
   */
  readonly spreadOverNodes?: boolean;
  /**
   * Never more than one pod, not even during a rollout: replicas 1 and, for a Deployment,
   * strategy Recreate. A store's only copy of its data is not something to run twice.
   */
  readonly onePodAtATime?: boolean;
  /**
   * Command-line flags of its first container (the store itself), as the program reads them:
   * the last time each flag appears, it is followed by this value. `''` is an empty argument.
   */
  readonly flags?: Readonly<Record<string, string>>;
  /**
   * Only pods of this namespace with one of these `app.kubernetes.io/name` values may reach it:
   * some NetworkPolicy isolates its pods for ingress, and every rule that admits traffic to them
   * admits only such pods.
   */
  readonly ingressOnlyFrom?: readonly string[];
  /**
   * Its pods may connect only to pods of this namespace with one of these
   * `app.kubernetes.io/name` values, and to the cluster's DNS (kube-system's `k8s-app: kube-dns`
   * pods, port 53 only): some NetworkPolicy isolates them for egress, and every egress rule that
   * selects them admits nothing else.
   */
  readonly egressOnlyTo?: readonly string[];
}

/** A workload that runs to completion, such as a schema migration: it has no replica count. */
export interface OneShotWorkload {
  readonly kind: 'Job';
  readonly name: string;
  readonly storage: Storage;
  readonly egressOnlyTo?: readonly string[];
}

export type Workload = LongRunningWorkload | OneShotWorkload;

export interface ServiceContract {
  readonly quadrant: Quadrant;
  /**
   * Set on an entry that is a variant of another service, switched on by a kustomize component
   * (k8s/components): an overlay that lists the variant is checked against it instead.
   */
  readonly variantOf?: string;
  readonly workloads: readonly Workload[];
}

/** basket's API, the same in both of basket's variants: any replica answers for any basket. */
const basketApi = {
  kind: 'Deployment',
  name: 'basket',
  storage: { type: 'none' },
  minReplicas: 2,
  disruptionBudget: true,
} as const satisfies Workload;

/**
 * The quadrant contract of docs/architecture.md, as data: what each service runs as and on which storage.
 * A service is checked in an overlay that lists it below, or that renders any of its workloads.
 */
export const quadrantContract = {
  transactions: {
    quadrant: 'A',
    workloads: [
      {
        kind: 'Deployment',
        name: 'transactions',
        storage: { type: 'none' },
        minReplicas: 2,
        disruptionBudget: true,
      },
      {
        kind: 'StatefulSet',
        name: 'transactions-postgres',
        storage: { type: 'claimTemplates', accessMode: 'ReadWriteOnce' },
        // One primary: PostgreSQL here is not replicated; its disk is what survives.
        minReplicas: 1,
        ingressOnlyFrom: ['transactions', 'transactions-migrate'],
      },
      // The schema's migrations, run once per apply before the API can be ready.
      { kind: 'Job', name: 'transactions-migrate', storage: { type: 'none' } },
      // The shop's accounts, created through the API (it keeps nothing itself).
      { kind: 'Job', name: 'transactions-seed-shop', storage: { type: 'none' } },
    ],
  },
  uploads: {
    quadrant: 'B',
    workloads: [
      {
        kind: 'Deployment',
        name: 'uploads',
        // One directory every replica writes, on every node at once.
        storage: { type: 'claim', accessMode: 'ReadWriteMany' },
        minReplicas: 2,
        disruptionBudget: true,
        // Two pods on one node would pass on a disk that is not shared at all.
        spreadOverNodes: true,
      },
    ],
  },
  'static-site': {
    quadrant: "B'",
    workloads: [
      {
        kind: 'Deployment',
        name: 'static-site',
        // Each pod's own copy, synced from the store by an initContainer, served read-only.
        storage: { type: 'seededEmptyDir' },
        minReplicas: 2,
        disruptionBudget: true,
        // The sync's one peer is the store; the server itself calls nothing.
        egressOnlyTo: ['static-site-s3'],
      },
      {
        kind: 'StatefulSet',
        name: 'static-site-s3',
        // The site's authoritative copy: one server on its own disk.
        storage: { type: 'claimTemplates', accessMode: 'ReadWriteOnce' },
        quadrant: 'A',
        minReplicas: 1,
        ingressOnlyFrom: ['static-site', 'static-site-seed'],
      },
      // Uploads the site bundled in the image, once per apply.
      {
        kind: 'Job',
        name: 'static-site-seed',
        storage: { type: 'none' },
        egressOnlyTo: ['static-site-s3'],
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
        disruptionBudget: true,
      },
    ],
  },
  basket: {
    quadrant: 'D',
    workloads: [
      basketApi,
      {
        kind: 'Deployment',
        name: 'basket-redis',
        storage: { type: 'memory' },
        // One Redis: losing it loses the baskets, which is quadrant D's documented trade.
        minReplicas: 1,
        onePodAtATime: true,
        // Persistence off, both kinds: no RDB snapshot, no append-only file.
        flags: { '--save': '', '--appendonly': 'no' },
        ingressOnlyFrom: ['basket'],
      },
    ],
  },
  // k8s/components/persistent-basket: the same store on a disk, so baskets survive its restart.
  'basket+persistent-basket': {
    quadrant: 'A',
    variantOf: 'basket',
    workloads: [
      basketApi,
      {
        kind: 'Deployment',
        name: 'basket-redis',
        storage: { type: 'claim', accessMode: 'ReadWriteOnce' },
        minReplicas: 1,
        // Two servers must never write one append-only file.
        onePodAtATime: true,
        flags: { '--appendonly': 'yes', '--appendfsync': 'everysec' },
        ingressOnlyFrom: ['basket'],
      },
    ],
  },
} as const satisfies Readonly<Record<string, ServiceContract>>;

export type ServiceName = keyof typeof quadrantContract;

/**
 * The services each overlay must render. Every folder in k8s/overlays needs an entry, so a new
 * overlay cannot silently drop a service. A variant (`basket+persistent-basket`) stands for its
 * service, checked against the variant's contract.
 */
export const overlayServices: Readonly<Record<string, readonly ServiceName[]>> = {
  cloud: ['transactions', 'geo', 'basket', 'uploads', 'static-site'],
  kind: ['transactions', 'geo', 'basket', 'uploads', 'static-site'],
  'kind-persistent-basket': [
    'transactions',
    'geo',
    'basket+persistent-basket',
    'uploads',
    'static-site',
  ],
};

/** The services the contract check covers for these objects: expected ones and present ones. */
export function servicesToCheck(
  objects: readonly K8sObject[],
  expected: readonly string[],
  contract: Readonly<Record<string, ServiceContract>> = quadrantContract,
): string[] {
  const names = new Set(objects.filter(runsPods).map((o) => o.metadata.name));
  // A service whose variant is expected is checked as that variant only; a service found by
  // its workloads alone is checked as the service itself, never as a variant.
  const covered = new Set(expected.map((name) => contract[name]?.variantOf ?? name));
  const present = Object.entries(contract)
    .filter(([name, service]) => service.variantOf === undefined && !covered.has(name))
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
      const quadrant = ('quadrant' in workload ? workload.quadrant : undefined) ?? service.quadrant;
      const label = `${serviceName} (quadrant ${quadrant})`;
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
        ...(workload.kind === 'Job' ? [] : longRunningProblems(object, workload, objects)),
        ...(workload.egressOnlyTo === undefined
          ? []
          : egressProblems(object, workload.egressOnlyTo, objects)),
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

/** The promises only a long-running workload makes: its budget, its one pod, flags, ingress. */
function longRunningProblems(
  object: K8sObject,
  workload: LongRunningWorkload,
  objects: readonly K8sObject[],
): Problem[] {
  return [
    ...(workload.disruptionBudget ? budgetProblems(object, objects) : []),
    ...(workload.spreadOverNodes ? spreadProblems(object) : []),
    ...(workload.onePodAtATime ? onePodProblems(object) : []),
    ...flagProblems(object, workload.flags ?? {}),
    ...(workload.ingressOnlyFrom === undefined
      ? []
      : ingressProblems(object, workload.ingressOnlyFrom, objects)),
  ];
}

/** The pods' labels and namespace, which selectors of other objects are matched against. */
function podsOf(object: K8sObject): { labels: Record<string, string>; namespace?: string } {
  const labels = podTemplateOf(object)?.metadata.labels ?? {};
  return { labels, ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}) };
}

/** Objects of this kind in the workload's namespace whose selector at `path` selects its pods. */
function selecting(
  objects: readonly K8sObject[],
  kind: string,
  path: string,
  workload: K8sObject,
): K8sObject[] {
  const { labels, namespace } = podsOf(workload);
  return objects.filter((o) => {
    const selector = valueAt(o, path);
    return (
      o.kind === kind &&
      o.metadata.namespace === namespace &&
      isRecord(selector) &&
      selectorMatches(selector as LabelSelector, labels)
    );
  });
}

function budgetProblems(object: K8sObject, objects: readonly K8sObject[]): Problem[] {
  const budgets = selecting(objects, 'PodDisruptionBudget', 'spec.selector', object);
  if (budgets.length === 0) {
    return [['', 'needs a PodDisruptionBudget selecting its pods, so a drain keeps one answering']];
  }
  const replicas = numberOr(valueAt(object, 'spec.replicas'), 1);
  return budgets.flatMap((budget): Problem[] => {
    const minAvailable = valueAt(budget, 'spec.minAvailable');
    const maxUnavailable = valueAt(budget, 'spec.maxUnavailable');
    // Percentages depend on the count at the time; only whole numbers are judged here.
    const blocks =
      (typeof minAvailable === 'number' && minAvailable >= replicas) || maxUnavailable === 0;
    return blocks
      ? [['', `${refOf(budget)} lets no pod be evicted, so no node drain could ever finish`]]
      : [];
  });
}

/** Some constraint keeps its pods one to a node: hostname, maxSkew 1, DoNotSchedule, its pods. */
function spreadProblems(object: K8sObject): Problem[] {
  const template = podTemplateOf(object);
  if (template === undefined) return [];
  const labels = template.metadata.labels ?? {};
  const spreads = template.spec.topologySpreadConstraints;
  const spreadsOverNodes = (Array.isArray(spreads) ? spreads : []).some(
    (constraint) =>
      constraint.topologyKey === 'kubernetes.io/hostname' &&
      constraint.maxSkew === 1 &&
      constraint.whenUnsatisfiable === 'DoNotSchedule' &&
      constraint.labelSelector !== undefined &&
      selectorMatches(constraint.labelSelector as LabelSelector, labels),
  );
  return spreadsOverNodes
    ? []
    : [
        [
          `${template.path}.topologySpreadConstraints`,
          'needs a constraint over kubernetes.io/hostname with maxSkew 1 and DoNotSchedule' +
            ' that selects its pods, so its replicas always run on different nodes',
        ],
      ];
}

function onePodProblems(object: K8sObject): Problem[] {
  const problems: Problem[] = [];
  const replicas = numberOr(valueAt(object, 'spec.replicas'), 1);
  if (replicas !== 1) {
    problems.push(['spec.replicas', `is ${replicas}; it must run as exactly one pod`]);
  }
  const strategy = valueAt(object, 'spec.strategy.type') ?? 'RollingUpdate';
  if (object.kind === 'Deployment' && strategy !== 'Recreate') {
    problems.push([
      'spec.strategy.type',
      `is ${String(strategy)}; it must be Recreate, or a rollout runs two pods at once`,
    ]);
  }
  return problems;
}

/** `--save ""` as it would be typed. */
const shownFlag = (flag: string, value: string) => `${flag} ${value === '' ? '""' : value}`;

function flagProblems(object: K8sObject, flags: Readonly<Record<string, string>>): Problem[] {
  const template = podTemplateOf(object);
  const container = template?.spec.containers?.[0];
  if (template === undefined || container === undefined) return [];
  const at = `${template.path}.containers[0]`;
  const command = container.command ?? [];
  const argv = [...command, ...(container.args ?? [])];
  const pathOf = (index: number) =>
    index < command.length ? `${at}.command[${index}]` : `${at}.args[${index - command.length}]`;
  return Object.entries(flags).flatMap(([flag, value]): Problem[] => {
    const last = argv.lastIndexOf(flag);
    if (last === -1) return [[`${at}.args`, `must run with ${shownFlag(flag, value)}`]];
    const given = argv[last + 1];
    if (given === value) return [];
    return [
      [
        pathOf(last + 1),
        given === undefined
          ? `${flag} has no value; it must run with ${shownFlag(flag, value)}`
          : `must run with ${shownFlag(flag, value)}, not ${shownFlag(flag, given)}`,
      ],
    ];
  });
}

/** Whether a NetworkPolicy peer can only be a pod of the policy's namespace with one of `names`. */
function onlyNamed(peer: unknown, names: readonly string[]): boolean {
  if (!isRecord(peer) || peer.namespaceSelector !== undefined || peer.ipBlock !== undefined) {
    return false;
  }
  if (!isRecord(peer.podSelector)) return false;
  const selector = peer.podSelector as LabelSelector;
  const key = 'app.kubernetes.io/name';
  const byLabel = selector.matchLabels?.[key];
  if (byLabel !== undefined && names.includes(byLabel)) return true;
  return (selector.matchExpressions ?? []).some(
    (e) =>
      e.key === key &&
      e.operator === 'In' &&
      (e.values ?? []).length > 0 &&
      (e.values ?? []).every((v) => names.includes(v)),
  );
}

function ingressProblems(
  object: K8sObject,
  names: readonly string[],
  objects: readonly K8sObject[],
): Problem[] {
  const only = `only ${names.join(' and ')} may reach it`;
  // policyTypes defaults to Ingress (plus Egress when there are egress rules).
  const isolating = selecting(objects, 'NetworkPolicy', 'spec.podSelector', object).filter(
    (policy) => {
      const types = valueAt(policy, 'spec.policyTypes');
      return !Array.isArray(types) || types.includes('Ingress');
    },
  );
  if (isolating.length === 0) {
    return [
      ['', `no NetworkPolicy isolates its pods for ingress, so anything may reach it; ${only}`],
    ];
  }
  return isolating.flatMap((policy) =>
    arrayAt(policy, 'spec.ingress').flatMap((rule, r): Problem[] => {
      const from = isRecord(rule) && Array.isArray(rule.from) ? rule.from : [];
      const where = `${refOf(policy)} spec.ingress[${r}]`;
      if (from.length === 0) return [['', `${where} admits traffic from anywhere; ${only}`]];
      return from.flatMap((peer, p): Problem[] =>
        onlyNamed(peer, names) ? [] : [['', `${where}.from[${p}] admits other peers; ${only}`]],
      );
    }),
  );
}

/** Whether an egress peer can only be the cluster's DNS: kube-system's kube-dns pods. */
function isClusterDns(peer: unknown): boolean {
  if (!isRecord(peer) || peer.ipBlock !== undefined) return false;
  const namespaces = peer.namespaceSelector as LabelSelector | undefined;
  const pods = peer.podSelector as LabelSelector | undefined;
  return (
    namespaces?.matchLabels?.['kubernetes.io/metadata.name'] === 'kube-system' &&
    (namespaces.matchExpressions ?? []).length === 0 &&
    pods?.matchLabels?.['k8s-app'] === 'kube-dns'
  );
}

/** Whether a rule's ports are DNS's only: some listed, every one port 53. */
function onlyDnsPorts(rule: Record<string, unknown>): boolean {
  const ports = Array.isArray(rule.ports) ? rule.ports : [];
  return (
    ports.length > 0 &&
    ports.every((port) => isRecord(port) && port.port === 53 && port.endPort === undefined)
  );
}

function egressProblems(
  object: K8sObject,
  names: readonly string[],
  objects: readonly K8sObject[],
): Problem[] {
  const only = `it may reach only ${names.join(' and ')} (and the cluster's DNS on port 53)`;
  // policyTypes defaults to Ingress, plus Egress when the policy has egress rules.
  const isolating = selecting(objects, 'NetworkPolicy', 'spec.podSelector', object).filter(
    (policy) => {
      const types = valueAt(policy, 'spec.policyTypes');
      return Array.isArray(types)
        ? types.includes('Egress')
        : valueAt(policy, 'spec.egress') !== undefined;
    },
  );
  if (isolating.length === 0) {
    return [
      ['', `no NetworkPolicy isolates its pods for egress, so they may connect anywhere; ${only}`],
    ];
  }
  return isolating.flatMap((policy) =>
    arrayAt(policy, 'spec.egress').flatMap((rule, r): Problem[] => {
      const to = isRecord(rule) && Array.isArray(rule.to) ? rule.to : [];
      const where = `${refOf(policy)} spec.egress[${r}]`;
      if (to.length === 0) return [['', `${where} admits connections to anywhere; ${only}`]];
      return to.flatMap((peer, p): Problem[] =>
        onlyNamed(peer, names) || (isClusterDns(peer) && isRecord(rule) && onlyDnsPorts(rule))
          ? []
          : [['', `${where}.to[${p}] admits other destinations; ${only}`]],
      );
    }),
  );
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
        if (volume.emptyDir?.sizeLimit === undefined) {
          problems.push([
            `${path}.emptyDir.sizeLimit`,
            'must be set: an unbounded tmpfs may grow to the pod’s memory limit',
          ]);
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
