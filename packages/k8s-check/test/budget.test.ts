// The laptop budget: every request the kind path reserves, summed by Kubernetes' own rules, and
// a failure when the sum is over two cores or 3 GiB (src/budget.ts).
import { describe, expect, test } from 'vitest';
import {
  budgetedOverlays,
  checkBudget,
  laptopBudget,
  podRequests,
  type Requests,
} from '../src/budget.ts';
import { checkOverlay } from '../src/checks.ts';
import type { K8sObject } from '../src/manifest.ts';
import { renderRealOverlay } from './helpers.ts';

const Mi = 2 ** 20;

interface ContainerOverrides {
  name?: string;
  requests?: Record<string, string>;
  restartPolicy?: string;
}

const aContainer = ({ name = 'app', requests, restartPolicy }: ContainerOverrides = {}) => ({
  name,
  image: 'quadrants/app:dev',
  ...(restartPolicy ? { restartPolicy } : {}),
  resources: { requests: requests ?? { cpu: '100m', memory: '64Mi' } },
});

/** A workload of `kind` whose pod runs these containers; no replicas field unless given. */
function aWorkload(overrides: {
  kind?: string;
  name?: string;
  replicas?: number;
  containers?: ContainerOverrides[];
  initContainers?: ContainerOverrides[];
}): K8sObject {
  const {
    kind = 'Deployment',
    name = 'app',
    replicas,
    containers = [{}],
    initContainers,
  } = overrides;
  return {
    apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1',
    kind,
    metadata: { name, namespace: 'quadrants' },
    spec: {
      ...(replicas === undefined ? {} : { replicas }),
      template: {
        spec: {
          containers: containers.map(aContainer),
          ...(initContainers ? { initContainers: initContainers.map(aContainer) } : {}),
        },
      },
    },
  };
}

/** Only the objects given: nothing installed from upstream is added to the sum. */
const sumOf = (objects: K8sObject[], budget: Requests = laptopBudget) =>
  checkBudget(objects, { external: [], budget });

describe('the laptop budget on the repository overlays', () => {
  test.each([...budgetedOverlays])(
    '%s fits in 2 CPUs and 3 GiB, every workload counted',
    async (overlay) => {
      const objects = await renderRealOverlay(overlay);
      const { reservations, total, violations } = checkBudget(objects);
      expect(violations).toEqual([]);
      expect(total.cpu).toBeLessThanOrEqual(2);
      expect(total.memory).toBeLessThanOrEqual(3 * 2 ** 30);
      const workloads = objects
        .filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind))
        .map((o) => `${o.kind}/${o.metadata.name}`);
      expect(workloads.length).toBeGreaterThanOrEqual(11);
      expect(reservations.map((r) => r.subject)).toEqual(
        expect.arrayContaining([
          ...workloads,
          'EnvoyProxy/quadrants-proxy',
          'Deployment/envoy-gateway (envoy-gateway-system)',
        ]),
      );
    },
  );

  test("the Envoy proxy is counted at the EnvoyProxy's requests plus its shutdown-manager", async () => {
    const { reservations } = checkBudget(await renderRealOverlay('kind'));
    expect(reservations.find((r) => r.subject === 'EnvoyProxy/quadrants-proxy')).toMatchObject({
      pods: 1,
      perPod: { cpu: 0.05 + 0.01, memory: (64 + 32) * Mi },
    });
  });

  test('only the kind overlays are held to it', async () => {
    const cloud = checkOverlay('cloud', await renderRealOverlay('cloud'));
    expect(cloud.filter((o) => o.check === 'budget')).toEqual([]);
    const kind = checkOverlay('kind', await renderRealOverlay('kind'));
    expect(kind).toContainEqual(
      expect.objectContaining({
        check: 'budget',
        subject: 'total',
        violations: [],
        figures: expect.stringMatching(/^\d+m of 2000m CPU, [\d.]+Mi of 3072Mi memory$/),
      }),
    );
  });

  test("kind with geo's HPA held at five replicas is over in CPU, not in memory", async () => {
    const objects = structuredClone(await renderRealOverlay('kind'));
    const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler');
    (hpa?.spec as { minReplicas: number }).minReplicas = 5;
    expect(checkBudget(objects).violations).toMatchObject([
      {
        check: 'budget',
        object: 'total',
        message: expect.stringMatching(/over the budget in CPU$/),
      },
    ]);
  });
});

describe('one pod’s effective request', () => {
  test('is the sum of its app containers', () => {
    const { requests } = podRequests(
      {
        containers: [
          aContainer({ requests: { cpu: '100m', memory: '64Mi' } }),
          aContainer({ name: 'b', requests: { cpu: '0.25', memory: '128Mi' } }),
        ],
      },
      'spec',
    );
    expect(requests).toEqual({ cpu: 0.35, memory: 192 * Mi });
  });

  test('is the largest init container where it asks more, each resource on its own', () => {
    const { requests } = podRequests(
      {
        initContainers: [
          aContainer({ name: 'small', requests: { cpu: '50m', memory: '16Mi' } }),
          aContainer({ name: 'big', requests: { cpu: '500m', memory: '32Mi' } }),
        ],
        containers: [aContainer({ requests: { cpu: '100m', memory: '256Mi' } })],
      },
      'spec',
    );
    // Init containers run one after another: the largest, not their sum; memory is the app's.
    expect(requests).toEqual({ cpu: 0.5, memory: 256 * Mi });
  });

  test('counts a sidecar (restartPolicy Always) with the app, and beside the init containers after it', () => {
    const { requests } = podRequests(
      {
        initContainers: [
          aContainer({
            name: 'sidecar',
            restartPolicy: 'Always',
            requests: { cpu: '50m', memory: '32Mi' },
          }),
          aContainer({ name: 'init', requests: { cpu: '200m', memory: '16Mi' } }),
        ],
        containers: [aContainer({ requests: { cpu: '100m', memory: '64Mi' } })],
      },
      'spec',
    );
    // Init phase: 50m + 200m, 32Mi + 16Mi; running: 50m + 100m, 32Mi + 64Mi.
    expect(requests).toEqual({ cpu: 0.25, memory: 96 * Mi });
  });

  test('a container without a request fails, naming the field', () => {
    const workload = aWorkload({ containers: [{ requests: { memory: '64Mi' } }] });
    expect(sumOf([workload]).violations).toEqual([
      {
        check: 'budget',
        object: 'Deployment/app',
        path: 'spec.template.spec.containers[0].resources.requests.cpu',
        message: expect.stringContaining('must be set'),
      },
    ]);
  });
});

describe('the sum', () => {
  test('multiplies a Deployment’s and a StatefulSet’s pod by its replicas, and counts a Job once', () => {
    const { reservations, total } = sumOf([
      aWorkload({ name: 'api', replicas: 3 }),
      aWorkload({ kind: 'StatefulSet', name: 'store', replicas: 2 }),
      aWorkload({ name: 'one' }),
      aWorkload({ kind: 'Job', name: 'seed' }),
    ]);
    expect(reservations.map((r) => [r.subject, r.pods])).toEqual([
      ['Deployment/api', 3],
      ['StatefulSet/store', 2],
      ['Deployment/one', 1],
      ['Job/seed', 1],
    ]);
    expect(total.cpu).toBeCloseTo(0.7, 10);
    expect(total.memory).toBe(7 * 64 * Mi);
  });

  test('an HPA’s minReplicas is the count of the workload it targets', () => {
    const hpa: K8sObject = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'api', namespace: 'quadrants' },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'api' }, minReplicas: 4 },
    };
    const { reservations } = sumOf([aWorkload({ name: 'api', replicas: 2 }), hpa]);
    expect(reservations).toMatchObject([{ subject: 'Deployment/api', pods: 4 }]);
  });

  test('over the budget in memory fails; at exactly the budget passes', () => {
    const pods = (memory: string) => [
      aWorkload({ replicas: 3, containers: [{ requests: { cpu: '100m', memory } }] }),
    ];
    expect(sumOf(pods('1025Mi')).violations).toMatchObject([
      {
        object: 'total',
        message: expect.stringMatching(/3075Mi of 3072Mi memory: over the budget in memory$/),
      },
    ]);
    expect(sumOf(pods('1Gi')).violations).toEqual([]);
  });

  test('a pod under budget on its own fails once its replicas put it over', () => {
    const budget = { cpu: 1, memory: 1024 * Mi };
    const api = (replicas: number) => [
      aWorkload({ replicas, containers: [{ requests: { cpu: '300m', memory: '64Mi' } }] }),
    ];
    expect(sumOf(api(3), budget).violations).toEqual([]);
    expect(sumOf(api(4), budget).violations).toMatchObject([
      {
        object: 'total',
        message: expect.stringMatching(/1200m of 1000m CPU.*over the budget in CPU$/),
      },
    ]);
  });

  test('adds what kind-up installs from upstream', () => {
    const external = [
      { subject: 'Deployment/x (elsewhere)', pods: 2, perPod: { cpu: 0.5, memory: Mi } },
    ];
    const { total } = checkBudget([aWorkload({})], { external });
    expect(total).toEqual({ cpu: 1.1, memory: 66 * Mi });
  });
});

describe('the Envoy proxy', () => {
  const gatewayClass = (parametersRef?: object): K8sObject => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GatewayClass',
    metadata: { name: 'quadrants' },
    spec: {
      controllerName: 'gateway.envoyproxy.io/gatewayclass-controller',
      ...(parametersRef ? { parametersRef } : {}),
    },
  });
  const gateway: K8sObject = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'quadrants', namespace: 'quadrants' },
    spec: { gatewayClassName: 'quadrants', listeners: [] },
  };
  const envoyProxy = (envoyDeployment: object): K8sObject => ({
    apiVersion: 'gateway.envoyproxy.io/v1alpha1',
    kind: 'EnvoyProxy',
    metadata: { name: 'proxy', namespace: 'quadrants' },
    spec: { provider: { type: 'Kubernetes', kubernetes: { envoyDeployment } } },
  });
  const ref = {
    group: 'gateway.envoyproxy.io',
    kind: 'EnvoyProxy',
    name: 'proxy',
    namespace: 'quadrants',
  };

  test('is counted per replica, at its requests and the shutdown-manager’s', () => {
    const proxy = envoyProxy({
      replicas: 2,
      container: { resources: { requests: { cpu: '40m', memory: '64Mi' } } },
    });
    const { reservations } = sumOf([gatewayClass(ref), gateway, proxy]);
    expect(reservations).toMatchObject([
      { subject: 'EnvoyProxy/proxy', pods: 2, perPod: { cpu: 0.05, memory: 96 * Mi } },
    ]);
  });

  test('without requests in its EnvoyProxy fails', () => {
    const { violations } = sumOf([gatewayClass(ref), gateway, envoyProxy({ replicas: 1 })]);
    expect(violations.map((v) => [v.object, v.path])).toEqual([
      [
        'EnvoyProxy/proxy',
        'spec.provider.kubernetes.envoyDeployment.container.resources.requests.cpu',
      ],
      [
        'EnvoyProxy/proxy',
        'spec.provider.kubernetes.envoyDeployment.container.resources.requests.memory',
      ],
    ]);
  });

  test('of a Gateway whose class names no EnvoyProxy fails', () => {
    expect(sumOf([gatewayClass(), gateway]).violations).toMatchObject([
      { object: 'Gateway/quadrants', path: 'spec.gatewayClassName' },
    ]);
  });
});
