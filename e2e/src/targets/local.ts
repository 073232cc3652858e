import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type LocalProcess, startProcess, stopProcess } from '../../../scripts/local-processes.ts';
import { serviceNamed, services } from '../../../scripts/services.ts';
import { isReady, until } from '../wait.ts';
import type { Driver, Replica, Target } from './target.ts';

// The processes live in vitest's main process; test workers learn of them through this file.
const stateDir = fileURLToPath(new URL('../../../.e2e/', import.meta.url));
const stateFile = `${stateDir}local.json`;

type State = Record<string, Replica[]>;

function readState(): State {
  return JSON.parse(readFileSync(stateFile, 'utf8')) as State;
}

/**
 * Services as Node processes on free loopback ports. Like a ReplicaSet, it starts a new
 * process whenever one dies.
 */
export function localTarget(): Target {
  const running = new Map<string, LocalProcess[]>();
  let stopping = false;

  function saveState() {
    const state: State = {};
    for (const [name, list] of running) {
      state[name] = list.map((p) => ({ id: String(p.child.pid), url: p.url }));
    }
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(stateFile, JSON.stringify(state, null, 2));
  }

  async function launch(name: string): Promise<void> {
    const process = await startProcess(serviceNamed(name), { port: 0, env: { LOG_LEVEL: 'info' } });
    running.get(name)?.push(process);
    saveState();
    void process.exited.then(() => {
      const list = running.get(name) ?? [];
      list.splice(list.indexOf(process), 1);
      saveState();
      if (!stopping) void launch(name);
    });
  }

  return {
    name: 'local',
    async up() {
      for (const service of services) {
        running.set(service.name, []);
        for (let i = 0; i < service.replicas; i++) await launch(service.name);
      }
    },
    async down() {
      stopping = true;
      await Promise.all([...running.values()].flat().map((p) => stopProcess(p)));
    },
    driver: localDriver,
  };
}

function localDriver(): Driver {
  return {
    async entryUrl(service) {
      const [first] = readState()[service] ?? [];
      if (!first) throw new Error(`no ${service} process is running`);
      return first.url;
    },
    async replicas(service) {
      return readState()[service] ?? [];
    },
    async killReplica(_service, replica) {
      process.kill(Number(replica.id), 'SIGKILL');
      await until(`process ${replica.id} to die`, async () => {
        try {
          process.kill(Number(replica.id), 0);
          return undefined;
        } catch {
          return true;
        }
      });
    },
    waitForReplicas(service) {
      const wanted = serviceNamed(service).replicas;
      return until(`${wanted} ready ${service} replicas`, async () => {
        const list = readState()[service] ?? [];
        if (list.length < wanted) return undefined;
        const ready = await Promise.all(list.map((r) => isReady(r.url)));
        return ready.every(Boolean) ? list : undefined;
      });
    },
    async close() {},
  };
}
