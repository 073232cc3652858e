import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { staticSiteBucket } from '../../../scripts/services.ts';
import { run } from '../run.ts';
import { isReady, until } from '../wait.ts';
import { checkVariant, storeOf, storeSpecOf } from './stores.ts';
import type { Driver, NewReplica, Replica, StoreVariant, Target } from './target.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cluster = process.env.KIND_CLUSTER ?? 'quadrants';
const context = `kind-${cluster}`;
const namespace = 'quadrants';
const overlay = `${root}k8s/overlays/kind`;
/** The overlay that sets a store up as its persistent variant, and the claim it adds. */
const persistentOverlays: Record<string, { overlay: string; claim: string }> = {
  'basket-redis': {
    overlay: `${root}k8s/overlays/kind-persistent-basket`,
    claim: 'basket-redis-data',
  },
};
const kubectl = (args: string[]) =>
  run('kubectl', ['--context', context, '-n', namespace, ...args]);

interface ContainerStatus {
  name: string;
  containerID?: string;
  state?: Record<string, { reason?: string } | undefined>;
}

interface Pod {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: {
    phase?: string;
    conditions?: { type: string; status: string }[];
    initContainerStatuses?: ContainerStatus[];
    containerStatuses?: ContainerStatus[];
  };
}

/** What a pod is doing, for a message: its phase, and each init container's state. */
function podDetail(pod: Pod): string {
  const init = (pod.status.initContainerStatuses ?? []).map((c) => {
    const [state, about] = Object.entries(c.state ?? {})[0] ?? ['unknown', undefined];
    return `initContainer ${c.name} ${state}${about?.reason ? ` (${about.reason})` : ''}`;
  });
  const ready = (pod.status.conditions ?? []).find((c) => c.type === 'Ready')?.status ?? 'unknown';
  return [`phase ${pod.status.phase ?? 'unknown'}`, ...init, `Ready ${ready}`].join(', ');
}

/**
 * Every pod of `service` that runs or may run, terminating ones included; not the finished ones
 * (an evicted pod stays, Failed, until it is garbage-collected).
 */
async function podsOf(service: string): Promise<Pod[]> {
  const list = await kubectl([
    'get',
    'pods',
    '--selector',
    `app.kubernetes.io/name=${service}`,
    '--field-selector',
    'status.phase!=Failed,status.phase!=Succeeded',
    '--output',
    'json',
  ]);
  return (JSON.parse(list) as { items: Pod[] }).items;
}

const isServing = (pod: Pod) =>
  !pod.metadata.deletionTimestamp &&
  (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

async function desiredReplicas(service: string): Promise<number> {
  const out = await kubectl(['get', 'deployment', service, '-o', 'jsonpath={.spec.replicas}']);
  return Number(out);
}

/** `kubectl port-forward` to one pod's `port`, on a free loopback port. */
function portForward(pod: string, port = 8080): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    'kubectl',
    ['--context', context, '-n', namespace, 'port-forward', `pod/${pod}`, `:${port}`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const port = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(line)?.[1];
      if (port) resolve({ url: `http://127.0.0.1:${port}`, child });
    });
    child.on('exit', (code) => reject(new Error(`port-forward to ${pod} exited (${code})`)));
  });
}

/**
 * Where the host reaches `service`'s NodePort: kind-cluster.yaml maps node ports to ports on
 * 127.0.0.1, and Docker reports that mapping for the control-plane container.
 */
async function nodePortUrl(service: string): Promise<string> {
  const nodePort = (
    await kubectl(['get', 'service', service, '-o', 'jsonpath={.spec.ports[0].nodePort}'])
  ).trim();
  if (!nodePort) throw new Error(`the ${service} Service has no NodePort in k8s/overlays/kind`);
  const published = await run('docker', ['port', `${cluster}-control-plane`, `${nodePort}/tcp`]);
  const address = published.split('\n')[0]?.trim();
  if (!address) {
    throw new Error(`node port ${nodePort} (${service}) is not mapped in kind-cluster.yaml`);
  }
  return `http://${address}`;
}

/** Where the host reaches the Gateway: node port 30080, mapped to 127.0.0.1 by kind-cluster.yaml. */
async function gatewayUrl(): Promise<string> {
  const published = await run('docker', ['port', `${cluster}-control-plane`, '30080/tcp']);
  const address = published.split('\n')[0]?.trim();
  if (!address) throw new Error('node port 30080 (the Gateway) is not mapped in kind-cluster.yaml');
  return `http://${address}`;
}

/**
 * SIGKILLs every container of `pod` through its node's container runtime. kind's nodes are
 * Docker containers of the node's name, with crictl inside; a timeout of 0 skips the stop
 * signal. Deleting the pod with --grace-period=0 --force would not do: the API forgets the pod
 * at once, and the StatefulSet may start its successor on the same claim while the old
 * PostgreSQL still runs.
 */
async function killContainers(pod: Pod) {
  const node = pod.spec.nodeName;
  if (!node) throw new Error(`${pod.metadata.name} is on no node yet`);
  for (const status of pod.status.containerStatuses ?? []) {
    const id = status.containerID?.replace(/^[a-z]+:\/\//, '');
    if (id) await run('docker', ['exec', node, 'crictl', 'stop', '--timeout', '0', id]);
  }
}

/** Waits until `store` has a serving pod that none of `gone` (pod uids) names. */
function newStorePod(store: string, gone: Set<string>) {
  return until(
    `a new ready ${store} pod`,
    async () => {
      const pods = await podsOf(store);
      const fresh = pods.filter((pod) => !gone.has(pod.metadata.uid));
      return fresh.length > 0 && fresh.length === pods.length && fresh.every(isServing)
        ? true
        : undefined;
    },
    // Scheduling, attaching the claim, PostgreSQL's recovery and the readiness probe's period.
    { timeoutMs: 300_000 },
  );
}

/**
 * `directory`'s manifests as scripts/kind-up applies them: each official store image the
 * overlay names becomes the one POSTGRES_IMAGE or REDIS_IMAGE names, when set (the offline
 * kit's keep the official ones' contracts, and PostgreSQL's claim holds that major's data).
 */
async function renderOverlay(directory: string): Promise<string> {
  let rendered = await run('kubectl', ['kustomize', directory]);
  const replacements: [RegExp, string | undefined][] = [
    [/^([\s-]*image:\s*)postgres:\S*$/gm, process.env.POSTGRES_IMAGE],
    [/^([\s-]*image:\s*)valkey\/valkey:\S*$/gm, process.env.REDIS_IMAGE],
  ];
  for (const [pattern, image] of replacements) {
    if (image) rendered = rendered.replaceAll(pattern, (_, prefix: string) => `${prefix}${image}`);
  }
  return rendered;
}

/**
 * Applies the objects of `directory` that belong to `store` (its app.kubernetes.io/name
 * label), and nothing else: the rest (the migration Job's immutable template among it) is left
 * as kind-up applied it.
 */
async function applyStoreObjects(directory: string, store: string): Promise<void> {
  const manifest = join(mkdtempSync(join(tmpdir(), 'quadrants-e2e-')), 'store.yaml');
  writeFileSync(manifest, await renderOverlay(directory));
  try {
    await run('kubectl', [
      '--context',
      context,
      'apply',
      '--filename',
      manifest,
      '--selector',
      `app.kubernetes.io/name=${store}`,
    ]);
  } finally {
    rmSync(dirname(manifest), { recursive: true, force: true });
  }
}

/**
 * A kind cluster with k8s/overlays/kind applied. `up` runs scripts/kind-up, which creates the
 * cluster if needed, builds and loads the images, applies the overlay and waits for rollouts.
 */
export function kindTarget(): Target {
  return {
    name: 'kind',
    async up() {
      await run('bash', [`${root}scripts/kind-up`], {
        inherit: true,
        // The base overlay whatever KIND_OVERLAY says: the tests expect the base setup, and
        // switch basket's store to its persistent variant themselves (useStoreVariant).
        env: { KIND_CLUSTER: cluster, KIND_OVERLAY: 'kind' },
      });
      return {};
    },
    async down() {
      // The cluster stays for inspection; scripts/kind-down deletes it.
    },
    driver: kindDriver,
  };
}

function kindDriver(): Driver {
  const forwards = new Map<string, Promise<{ url: string; child: ChildProcess }>>();

  /** One port-forward per pod and port, kept while it lives: kubectl exits when its pod goes. */
  function forwardTo(pod: string, port = 8080) {
    const key = `${pod}:${port}`;
    let forward = forwards.get(key);
    if (!forward) {
      forward = portForward(pod, port);
      forwards.set(key, forward);
      forward.then(
        ({ child }) => child.on('exit', () => forwards.delete(key)),
        () => forwards.delete(key),
      );
    }
    return forward;
  }

  async function replicas(service: string): Promise<Replica[]> {
    const serving = (await podsOf(service)).filter(isServing);
    return Promise.all(
      serving.map(async (pod) => ({
        id: pod.metadata.name,
        url: (await forwardTo(pod.metadata.name)).url,
      })),
    );
  }

  const driver: Driver = {
    shopOrigin: gatewayUrl,
    entryUrl: nodePortUrl,
    // The Service: a terminating pod leaves its endpoints and drains behind its preStop sleep.
    balancedUrl: nodePortUrl,
    async rolloutRestart(service) {
      await driver.waitForReplicas(service);
      await kubectl(['rollout', 'restart', `deployment/${service}`]);
      await kubectl(['rollout', 'status', `deployment/${service}`, '--timeout=600s']);
      // `rollout status` is done once the new pods are available; the old ones may still be
      // terminating (and serving their drain).
      await until(
        `only ${service}'s new pods to remain`,
        async () => {
          const pods = await podsOf(service);
          const wanted = await desiredReplicas(service);
          return pods.length === wanted && pods.every(isServing) ? true : undefined;
        },
        { timeoutMs: 300_000 },
      );
      await driver.waitForReplicas(service);
    },
    async addReplica(service): Promise<NewReplica> {
      const before = new Set((await podsOf(service)).map((pod) => pod.metadata.uid));
      const count = await desiredReplicas(service);
      await kubectl(['scale', 'deployment', service, `--replicas=${count + 1}`]);
      const pod = await until(`a new ${service} pod`, async () =>
        (await podsOf(service)).find((p) => !before.has(p.metadata.uid)),
      );
      const name = pod.metadata.name;
      return {
        id: name,
        async readiness() {
          const now = (await podsOf(service)).find((p) => p.metadata.name === name);
          if (!now) return { ready: false, detail: 'the pod is gone' };
          // Its initContainer syncs before the server starts: until it is done nothing answers
          // on the pod, and its Ready condition is what the Service goes by.
          if (now.status.phase !== 'Running' || !isServing(now)) {
            return { ready: false, detail: podDetail(now) };
          }
          const { url } = await forwardTo(name);
          const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) });
          await response.arrayBuffer();
          return {
            ready: response.status === 200,
            detail: `${podDetail(now)}, /readyz ${response.status}`,
          };
        },
      };
    },
    async objectStore(service) {
      const store = storeOf(service);
      // No NodePort (its NetworkPolicy admits static-site's pods only): a port-forward to its pod.
      const { url } = await forwardTo(`${store}-0`, 9000);
      const field = async (key: string) =>
        Buffer.from(
          await kubectl(['get', 'secret', store, '-o', `jsonpath={.data.${key}}`]),
          'base64',
        ).toString('utf8');
      return {
        endpoint: url,
        region: 'us-east-1',
        accessKeyId: await field('access-key-id'),
        secretAccessKey: await field('secret-access-key'),
        ...staticSiteBucket,
      };
    },
    replicas,
    async killReplica(_service, replica) {
      await kubectl(['delete', 'pod', replica.id, '--grace-period=0', '--force', '--wait=false']);
    },
    waitForReplicas(service) {
      return until(`the ${service} Deployment's replicas to be ready`, async () => {
        const wanted = await desiredReplicas(service);
        const list = await replicas(service);
        if (list.length !== wanted) return undefined;
        const ready = await Promise.all(list.map((r) => isReady(r.url)));
        return ready.every(Boolean) ? list : undefined;
      });
    },
    async scale(service, count) {
      // With replicas at 0 the HPA stands aside; back above 0 it takes over again.
      await kubectl(['scale', 'deployment', service, `--replicas=${count}`]);
      // `rollout status` is done once no pod is Ready, but a terminating pod still serves
      // through its preStop sleep and drain, and a port-forward still reaches it: scaled down,
      // the replicas are gone only when their pods are deleted.
      await until(`${service} to have no more than ${count} pods`, async () =>
        (await podsOf(service)).length <= count ? true : undefined,
      );
      if (count > 0) await driver.waitForReplicas(service);
    },
    unsupported: () => undefined,
    async restartStore(service, { kill, whileDown }) {
      const { name: store, workload } = storeSpecOf(service);
      const pods = await podsOf(store);
      if (kill) for (const pod of pods) await killContainers(pod);
      if (whileDown) {
        // Scaled to none rather than its pods deleted, which the controller would replace at
        // once: the store stays down until whileDown is done.
        const replicas = (
          await kubectl(['get', workload, store, '-o', 'jsonpath={.spec.replicas}'])
        ).trim();
        await kubectl(['scale', workload, store, '--replicas=0']);
        try {
          await until(`${store}'s pods to be deleted`, async () =>
            (await podsOf(store)).length === 0 ? true : undefined,
          );
          await whileDown();
        } finally {
          await kubectl(['scale', workload, store, `--replicas=${replicas || '1'}`]);
        }
      } else {
        // A plain delete: the kubelet stops whatever runs (after a kill, the container it just
        // restarted) and the controller makes the pod again: a StatefulSet's on the same claim,
        // a Deployment's on its volumes (basket-redis' tmpfs is new and empty).
        for (const pod of pods) await kubectl(['delete', 'pod', pod.metadata.name, '--wait=true']);
      }
      await newStorePod(store, new Set(pods.map((pod) => pod.metadata.uid)));
      await driver.waitForReplicas(service);
    },
    async useStoreVariant(service, variant: StoreVariant) {
      const { name: store } = checkVariant(service, variant);
      const persistent = persistentOverlays[store];
      if (!persistent) throw new Error(`no overlay sets ${store} up as its persistent variant`);
      await applyStoreObjects(variant === 'persistent' ? persistent.overlay : overlay, store);
      // A changed pod template rolls out (Recreate: the old pod is gone before the new one
      // starts); `rollout status` waits for that rollout, and returns at once when nothing
      // changed.
      await kubectl(['rollout', 'status', `deployment/${store}`, '--timeout=300s']);
      await until(
        `${store} to run only new, ready pods`,
        async () => {
          const pods = await podsOf(store);
          const wanted = await desiredReplicas(store);
          return pods.length === wanted && pods.every(isServing) ? true : undefined;
        },
        { timeoutMs: 300_000 },
      );
      if (variant === 'base') {
        // The base overlay has no claim, and apply leaves the old one: delete it (and so the
        // baskets on it), now that no pod mounts it, so the next switch starts empty.
        await kubectl(['delete', 'pvc', persistent.claim, '--ignore-not-found', '--wait=true']);
      }
      await driver.waitForReplicas(service);
    },
    async recreateStoreWorkload(service) {
      const store = storeOf(service);
      const pods = await podsOf(store);
      // Foreground: returns once the pods are gone, so the new StatefulSet starts from nothing
      // but its retained claim.
      await kubectl(['delete', 'statefulset', store, '--cascade=foreground', '--wait=true']);
      await until(`${store}'s pods to be deleted`, async () =>
        (await podsOf(store)).length === 0 ? true : undefined,
      );
      // The store's objects of the overlay, as kind-up applies them (PostgreSQL's image
      // becomes POSTGRES_IMAGE when kind-up ran with it: another major would refuse the
      // claim's data).
      await applyStoreObjects(overlay, store);
      await newStorePod(store, new Set(pods.map((pod) => pod.metadata.uid)));
      await driver.waitForReplicas(service);
    },
    async close() {
      const open = await Promise.allSettled(forwards.values());
      for (const forward of open) if (forward.status === 'fulfilled') forward.value.child.kill();
      forwards.clear();
    },
  };
  return driver;
}
