import { type LocalProcess, startProcess, stopProcess } from '../../../scripts/local-processes.ts';
import { serviceNamed } from '../../../scripts/services.ts';
import { isReady, until } from '../wait.ts';
import type { Driver, Replica, Target } from './target.ts';

/**
 * Services as Node processes on free loopback ports, supervised by the driver in the test
 * worker itself: like a ReplicaSet, it keeps the wanted number running, starting a new process
 * whenever one dies.
 */
export function localTarget(): Target {
  return {
    name: 'local',
    // Nothing to build: each test file's driver starts the processes it needs.
    async up() {},
    async down() {},
    driver: localDriver,
  };
}

function localDriver(): Driver {
  const running = new Map<string, LocalProcess[]>();
  const wanted = new Map<string, number>();
  let closing = false;

  const list = (service: string) => {
    const processes = running.get(service) ?? [];
    running.set(service, processes);
    return processes;
  };

  async function launch(service: string): Promise<void> {
    const process = await startProcess(serviceNamed(service), {
      port: 0,
      env: { LOG_LEVEL: 'info' },
    });
    list(service).push(process);
    void process.exited.then(() => {
      const processes = list(service);
      processes.splice(processes.indexOf(process), 1);
      reconcile(service);
    });
  }

  /** Starts processes until the wanted count runs; never stops any (scale does that). */
  function reconcile(service: string) {
    if (closing) return;
    const missing = (wanted.get(service) ?? 0) - list(service).length;
    for (let i = 0; i < missing; i++) void launch(service);
  }

  function ensure(service: string) {
    if (!wanted.has(service)) {
      wanted.set(service, serviceNamed(service).replicas);
      reconcile(service);
    }
  }

  const toReplica = (p: LocalProcess): Replica => ({ id: String(p.child.pid), url: p.url });

  const driver: Driver = {
    async entryUrl(service) {
      const [first] = await driver.waitForReplicas(service);
      if (!first) throw new Error(`no ${service} process is running`);
      return first.url;
    },
    async replicas(service) {
      ensure(service);
      return list(service).map(toReplica);
    },
    async killReplica(service, replica) {
      const process = list(service).find((p) => String(p.child.pid) === replica.id);
      if (!process) throw new Error(`${service} has no replica ${replica.id}`);
      process.child.kill('SIGKILL');
      await process.exited;
    },
    waitForReplicas(service) {
      ensure(service);
      const count = wanted.get(service) ?? 0;
      return until(`${count} ready ${service} replicas`, async () => {
        const processes = list(service);
        if (processes.length !== count) return undefined;
        const ready = await Promise.all(processes.map((p) => isReady(p.url)));
        return ready.every(Boolean) ? processes.map(toReplica) : undefined;
      });
    },
    async scale(service, replicas) {
      ensure(service);
      wanted.set(service, replicas);
      const surplus = list(service).slice(replicas);
      await Promise.all(surplus.map((p) => stopProcess(p)));
      reconcile(service);
      await driver.waitForReplicas(service);
    },
    async close() {
      closing = true;
      await Promise.all([...running.values()].flat().map((p) => stopProcess(p)));
    },
  };
  return driver;
}
