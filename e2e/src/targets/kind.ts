import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { serviceNamed } from '../../../scripts/services.ts';
import { run } from '../run.ts';
import { isReady, until } from '../wait.ts';
import type { Driver, Replica, Target } from './target.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cluster = process.env.KIND_CLUSTER ?? 'quadrants';
const namespace = 'quadrants';
const kubectl = (args: string[]) =>
  run('kubectl', ['--context', `kind-${cluster}`, '-n', namespace, ...args]);

interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  status: { conditions?: { type: string; status: string }[] };
}

async function readyPods(service: string): Promise<string[]> {
  const { items } = JSON.parse(
    await kubectl(['get', 'pods', '-l', `app.kubernetes.io/name=${service}`, '-o', 'json']),
  ) as { items: Pod[] };
  return items
    .filter((pod) => !pod.metadata.deletionTimestamp)
    .filter((pod) => pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((pod) => pod.metadata.name);
}

async function desiredReplicas(service: string): Promise<number> {
  const out = await kubectl(['get', 'deployment', service, '-o', 'jsonpath={.spec.replicas}']);
  return Number(out);
}

/** `kubectl port-forward` to one pod, on a free loopback port. */
function portForward(pod: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    'kubectl',
    ['--context', `kind-${cluster}`, '-n', namespace, 'port-forward', `pod/${pod}`, ':8080'],
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
 * A kind cluster with k8s/overlays/kind applied. `up` runs scripts/kind-up, which creates the
 * cluster if needed, builds and loads the images, applies the overlay and waits for rollouts.
 */
export function kindTarget(): Target {
  return {
    name: 'kind',
    async up() {
      await run('bash', [`${root}scripts/kind-up`], {
        inherit: true,
        env: { KIND_CLUSTER: cluster },
      });
    },
    async down() {
      // The cluster stays for inspection; `kind delete cluster --name quadrants` removes it.
    },
    driver: kindDriver,
  };
}

function kindDriver(): Driver {
  const forwards = new Map<string, { url: string; child: ChildProcess }>();

  async function replicas(service: string): Promise<Replica[]> {
    const pods = await readyPods(service);
    return Promise.all(
      pods.map(async (pod) => {
        let forward = forwards.get(pod);
        if (!forward) {
          forward = await portForward(pod);
          forwards.set(pod, forward);
        }
        return { id: pod, url: forward.url };
      }),
    );
  }

  return {
    // The overlay's NodePort, mapped to this port on 127.0.0.1 by kind-cluster.yaml.
    async entryUrl(service) {
      return `http://127.0.0.1:${serviceNamed(service).port}`;
    },
    replicas,
    async killReplica(_service, replica) {
      await kubectl(['delete', 'pod', replica.id, '--grace-period=0', '--force', '--wait=false']);
      forwards.get(replica.id)?.child.kill();
      forwards.delete(replica.id);
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
    async scale(service, replicas) {
      // With replicas at 0 the HPA stands aside; back above 0 it takes over again.
      await kubectl(['scale', 'deployment', service, `--replicas=${replicas}`]);
      await kubectl(['rollout', 'status', `deployment/${service}`, '--timeout=180s']);
      await this.waitForReplicas(service);
    },
    async close() {
      for (const forward of forwards.values()) forward.child.kill();
      forwards.clear();
    },
  };
}
