// The laptop budget (issue 13): everything the kind path deploys must fit, by its resource
// *requests*, in two cores and 3 GiB. Requests, because they are what a pod reserves whether it
// uses them or not; the measured usage is the README's "Measured in compose".
//
// What is counted, per kind overlay:
// - every workload the overlay renders, at one pod's effective request (Kubernetes' rule, below)
//   times the pods it runs: spec.replicas, or an HPA's minReplicas (growing past it is load,
//   which the budget does not promise to absorb);
// - every Job too, each pod at its parallelism: scripts/kind-up applies the Jobs with everything
//   else and they run at the same time as the services start (the seeds wait for their service),
//   so the peak is the steady state plus all of them. A completed Job's pod reserves nothing, so
//   this is the apply's peak, not what the laptop carries an hour later;
// - the Envoy proxy that Envoy Gateway runs for each Gateway, at the requests its EnvoyProxy
//   sets (k8s/overlays/kind/gateway/envoyproxy.yaml), plus the shutdown-manager container it adds;
// - what scripts/kind-up installs from upstream YAML (`installedByKindUp`, constants below).
// Not counted: kind's own kube-system pods (the API server, etcd, CoreDNS, kindnet, …), which
// come with any cluster and are kind's to size; a rollout's surge pods, which are transient; and
// Envoy Gateway's certgen Job, which requests nothing and is gone before the overlay is applied.
import type { IContainer } from 'kubernetes-models/v1';
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
import { parseQuantity } from './quantity.ts';

const Mi = 2 ** 20;

/** CPU in cores, memory in bytes. */
export interface Requests {
  readonly cpu: number;
  readonly memory: number;
}

/** A laptop's share for the demo, with the browser, the editor and Docker itself beside it. */
export const laptopBudget: Requests = { cpu: 2, memory: 3 * 2 ** 30 };

/** The overlays that run on a laptop; cloud runs on nodes sized for it. */
export const budgetedOverlays: ReadonlySet<string> = new Set(['kind', 'kind-persistent-basket']);

/** Something that reserves requests: `pods` pods of `perPod` each. */
export interface Reservation {
  /** `Deployment/geo`; for what the render does not hold, the object and its namespace. */
  readonly subject: string;
  readonly pods: number;
  /** One pod's effective request. */
  readonly perPod: Requests;
  /** Where the pod count or the figures come from, when it is not the object itself. */
  readonly note?: string;
}

/**
 * What scripts/kind-up installs from upstream YAML, at the requests those manifests set. Move a
 * figure when the version in scripts/kind-versions.env (or kind-up's metrics-server URL) moves.
 */
export const installedByKindUp: readonly Reservation[] = [
  {
    subject: 'Deployment/envoy-gateway (envoy-gateway-system)',
    pods: 1,
    // Envoy Gateway's install.yaml is its Helm chart rendered: charts/gateway-helm/values.yaml,
    // deployment.envoyGateway.resources.requests.
    perPod: { cpu: 0.1, memory: 256 * Mi },
    note: "Envoy Gateway's controller, upstream",
  },
  {
    subject: 'Deployment/metrics-server (kube-system)',
    pods: 1,
    // metrics-server's default requests, as its own chart sets them
    // (charts/metrics-server/values.yaml); KIND_METRICS_SERVER=0 leaves it out, which only lowers
    // the sum.
    perPod: { cpu: 0.1, memory: 200 * Mi },
    note: 'upstream',
  },
];

/**
 * The container Envoy Gateway adds beside Envoy in every proxy pod, at its default requests
 * (DefaultShutdownManagerCPUResourceRequests and …MemoryResourceRequests in its api/v1alpha1),
 * which the EnvoyProxy's envoyDeployment.container does not set.
 */
const shutdownManager: Requests = { cpu: 0.01, memory: 32 * Mi };

export interface BudgetResult {
  readonly reservations: readonly Reservation[];
  readonly total: Requests;
  readonly violations: readonly Violation[];
}

/** Sums the requests of everything the overlay runs, and fails what cannot be counted or is over. */
export function checkBudget(
  objects: readonly K8sObject[],
  options: { external?: readonly Reservation[]; budget?: Requests } = {},
): BudgetResult {
  const { external = installedByKindUp, budget = laptopBudget } = options;
  const violations: Violation[] = [];
  const reservations: Reservation[] = [];
  const report = (object: string, [path, message]: Problem) => {
    violations.push({ check: 'budget', object, path, message });
  };

  for (const object of objects.filter(runsPods)) {
    const ref = refOf(object);
    const template = podTemplateOf(object);
    const pods = podCount(object, objects);
    if (template === undefined || 'problem' in pods) {
      if ('problem' in pods) report(ref, pods.problem);
      continue;
    }
    const { requests, problems } = podRequests(template.spec, template.path);
    for (const problem of problems) report(ref, problem);
    reservations.push({ subject: ref, pods: pods.count, perPod: requests, ...note(pods.note) });
  }

  for (const proxy of envoyProxies(objects)) {
    if ('problem' in proxy) {
      report(proxy.object, proxy.problem);
      continue;
    }
    reservations.push(proxy.reservation);
  }

  reservations.push(...external);
  const total = reservations.reduce((sum, r) => add(sum, times(r.perPod, r.pods)), zero);
  // Compared in whole millicores and bytes, so that 0.1 + 0.2 is not above 0.3.
  const over = [
    ...(Math.round(total.cpu * 1000) > Math.round(budget.cpu * 1000) ? ['CPU'] : []),
    ...(Math.round(total.memory) > Math.round(budget.memory) ? ['memory'] : []),
  ];
  if (over.length > 0) {
    report('total', ['', `${totalText(total, budget)}: over the budget in ${over.join(' and ')}`]);
  }
  return { reservations, total, violations };
}

/** `2 × 100m  96Mi =  200m CPU  192Mi  (the HPA's minimum)`: one line's figures, in columns. */
export function reservationText(r: Reservation): string {
  const sum = times(r.perPod, r.pods);
  const each = `${String(r.pods).padStart(2)} × ${cpuText(r.perPod.cpu).padStart(4)} ${memoryText(r.perPod.memory).padStart(5)}`;
  const figures = `${each} = ${cpuText(sum.cpu).padStart(5)} CPU ${memoryText(sum.memory).padStart(6)}`;
  return r.note === undefined ? figures : `${figures}  (${r.note})`;
}

export function totalText(total: Requests, budget: Requests = laptopBudget): string {
  return (
    `${cpuText(total.cpu)} of ${cpuText(budget.cpu)} CPU, ` +
    `${memoryText(total.memory)} of ${memoryText(budget.memory)} memory`
  );
}

export const cpuText = (cores: number) => `${Math.round(cores * 1000)}m`;
export const memoryText = (bytes: number) => `${Number((bytes / Mi).toFixed(1))}Mi`;

const zero: Requests = { cpu: 0, memory: 0 };
const add = (a: Requests, b: Requests): Requests => ({
  cpu: a.cpu + b.cpu,
  memory: a.memory + b.memory,
});
const max = (a: Requests, b: Requests): Requests => ({
  cpu: Math.max(a.cpu, b.cpu),
  memory: Math.max(a.memory, b.memory),
});
const times = (r: Requests, n: number): Requests => ({ cpu: r.cpu * n, memory: r.memory * n });
const note = (text: string | undefined) => (text === undefined ? {} : { note: text });

/**
 * One pod's effective request, each resource on its own, as the scheduler reckons it: the larger
 * of the app containers' sum and the init phase's peak. An init container with restartPolicy
 * Always is a sidecar: it keeps running, so it counts with the app containers, and beside every
 * init container that starts after it. A pod-level request (spec.resources), when set, is the
 * pod's request for that resource instead.
 */
export function podRequests(
  spec: { containers?: IContainer[]; initContainers?: IContainer[]; resources?: unknown },
  path: string,
): { requests: Requests; problems: Problem[] } {
  const problems: Problem[] = [];
  const read = (container: IContainer, at: string): Requests => {
    const requests = container.resources?.requests ?? {};
    const amount = (resource: 'cpu' | 'memory'): number => {
      const value = parseQuantity(requests[resource]);
      if (value === undefined) {
        problems.push([
          `${at}.resources.requests.${resource}`,
          requests[resource] === undefined
            ? 'must be set: a container that requests nothing would leave the sum short'
            : `${String(requests[resource])} is not a quantity`,
        ]);
      }
      return value ?? 0;
    };
    return { cpu: amount('cpu'), memory: amount('memory') };
  };

  let sidecars = zero;
  let initPeak = zero;
  (spec.initContainers ?? []).forEach((container, i) => {
    const requests = read(container, `${path}.initContainers[${i}]`);
    if (container.restartPolicy === 'Always') {
      sidecars = add(sidecars, requests);
      initPeak = max(initPeak, sidecars);
    } else {
      initPeak = max(initPeak, add(sidecars, requests));
    }
  });
  const apps = (spec.containers ?? []).reduce(
    (sum, container, i) => add(sum, read(container, `${path}.containers[${i}]`)),
    sidecars,
  );
  const effective = max(apps, initPeak);
  const podLevel = isRecord(spec.resources) ? spec.resources.requests : undefined;
  return {
    requests: {
      cpu: parseQuantity(valueAt(podLevel, 'cpu')) ?? effective.cpu,
      memory: parseQuantity(valueAt(podLevel, 'memory')) ?? effective.memory,
    },
    problems,
  };
}

type PodCount = { count: number; note?: string } | { problem: Problem };

function podCount(object: K8sObject, objects: readonly K8sObject[]): PodCount {
  const number = (path: string, fallback: number) => {
    const value = valueAt(object, path);
    return typeof value === 'number' ? value : fallback;
  };
  switch (object.kind) {
    case 'Pod':
      return { count: 1 };
    case 'Job':
      return { count: number('spec.parallelism', 1), note: 'runs once, at apply' };
    case 'CronJob':
      return { count: number('spec.jobTemplate.spec.parallelism', 1), note: 'on its schedule' };
    case 'DaemonSet':
      return {
        problem: ['', 'runs one pod per node, which the budget cannot count from the manifests'],
      };
    default: {
      const hpa = objects.find(
        (o) =>
          o.kind === 'HorizontalPodAutoscaler' &&
          o.metadata.namespace === object.metadata.namespace &&
          valueAt(o, 'spec.scaleTargetRef.kind') === object.kind &&
          valueAt(o, 'spec.scaleTargetRef.name') === object.metadata.name,
      );
      if (hpa === undefined) return { count: number('spec.replicas', 1) };
      const min = valueAt(hpa, 'spec.minReplicas');
      return { count: typeof min === 'number' ? min : 1, note: "the HPA's minimum" };
    }
  }
}

const proxyPath = 'spec.provider.kubernetes';

/** The proxy pods Envoy Gateway runs for the render's Gateways, one Deployment per Gateway. */
function envoyProxies(
  objects: readonly K8sObject[],
): ({ reservation: Reservation } | { object: string; problem: Problem })[] {
  const gatewaysOf = new Map<K8sObject, string[]>();
  const found: ({ reservation: Reservation } | { object: string; problem: Problem })[] = [];
  for (const gateway of objects.filter((o) => o.kind === 'Gateway')) {
    const className = valueAt(gateway, 'spec.gatewayClassName');
    const gatewayClass = objects.find(
      (o) => o.kind === 'GatewayClass' && o.metadata.name === className,
    );
    const ref = valueAt(gatewayClass, 'spec.parametersRef');
    const proxy = objects.find(
      (o) =>
        o.kind === 'EnvoyProxy' &&
        valueAt(ref, 'kind') === 'EnvoyProxy' &&
        o.metadata.name === valueAt(ref, 'name') &&
        o.metadata.namespace === valueAt(ref, 'namespace'),
    );
    if (proxy === undefined) {
      found.push({
        object: refOf(gateway),
        problem: [
          'spec.gatewayClassName',
          `GatewayClass/${String(className)} names no EnvoyProxy of the render, so its proxy's` +
            ' requests are whatever Envoy Gateway defaults to, which the budget cannot count',
        ],
      });
      continue;
    }
    gatewaysOf.set(proxy, [...(gatewaysOf.get(proxy) ?? []), refOf(gateway)]);
  }

  for (const [proxy, gateways] of gatewaysOf) {
    const ref = refOf(proxy);
    if (valueAt(proxy, `${proxyPath}.envoyDaemonSet`) !== undefined) {
      found.push({
        object: ref,
        problem: [
          `${proxyPath}.envoyDaemonSet`,
          'runs one proxy per node, which the budget cannot count from the manifests',
        ],
      });
      continue;
    }
    const hpaMin = valueAt(proxy, `${proxyPath}.envoyHpa.minReplicas`);
    const replicas = valueAt(proxy, `${proxyPath}.envoyDeployment.replicas`);
    const perGateway =
      valueAt(proxy, `${proxyPath}.envoyHpa`) !== undefined
        ? typeof hpaMin === 'number'
          ? hpaMin
          : 1
        : typeof replicas === 'number'
          ? replicas
          : 1;
    const containerPath = `${proxyPath}.envoyDeployment.container`;
    // Whether its fields have the right types is the schema check's finding; unset is unset here.
    const resources = valueAt(proxy, `${containerPath}.resources`);
    const envoy: IContainer = {
      name: 'envoy',
      ...(isRecord(resources)
        ? { resources: resources as NonNullable<IContainer['resources']> }
        : {}),
    };
    const { requests, problems } = podRequests({ containers: [envoy] }, '');
    for (const [path, message] of problems) {
      // podRequests names the container `.containers[0]`; here it is the EnvoyProxy's field.
      const field = path.replace(/^\.containers\[0\]/, containerPath);
      found.push({
        object: ref,
        problem: [field, `${message} (unset, Envoy Gateway picks its own default)`],
      });
    }
    if (problems.length > 0) continue;
    found.push({
      reservation: {
        subject: ref,
        pods: perGateway * gateways.length,
        perPod: add(requests, shutdownManager),
        note: `the proxy of ${gateways.join(', ')}: Envoy and its shutdown-manager`,
      },
    });
  }
  return found;
}
