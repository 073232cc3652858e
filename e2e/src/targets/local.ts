import { type LocalProcess, startProcess, stopProcess } from '../../../scripts/local-processes.ts';
import { serviceNamed } from '../../../scripts/services.ts';
import { isReady, until } from '../wait.ts';
import {
  deletePostgres,
  type PostgresContainer,
  provideDatabase,
  removePostgres,
  startPostgres,
} from './local-postgres.ts';
import { storeOf } from './stores.ts';
import type { Driver, Replica, Target, TargetState } from './target.ts';

/**
 * Services as Node processes on free loopback ports, supervised by the driver in the test
 * worker itself: like a ReplicaSet, it keeps the wanted number running, starting a new process
 * whenever one dies. transactions' PostgreSQL is a container that `up` starts once for the run
 * (src/targets/local-postgres.ts).
 */
export function localTarget(): Target {
  let container: PostgresContainer | undefined;
  return {
    name: 'local',
    // Nothing to build: each test file's driver starts the processes it needs.
    async up() {
      const transactionsDatabase = await provideDatabase((c) => {
        container = c;
      });
      if ('unavailable' in transactionsDatabase) {
        console.log(`e2e: ${transactionsDatabase.unavailable}`);
      }
      return { transactionsDatabase };
    },
    async down() {
      if (container) await removePostgres(container);
    },
    driver: localDriver,
  };
}

function localDriver(state: TargetState): Driver {
  const database = state.transactionsDatabase ?? {
    unavailable: 'the global setup provided no database for transactions',
  };
  /** Each service's own environment: where its store is. */
  const serviceEnv = (service: string): Record<string, string> => {
    if (service !== 'transactions') return {};
    if ('unavailable' in database) throw new Error(database.unavailable);
    return { DATABASE_URL: database.url };
  };

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
      env: { LOG_LEVEL: 'info', ...serviceEnv(service) },
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
      // Throws, rather than starting processes that cannot work, when the service cannot run.
      serviceEnv(service);
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
    unsupported(service, need) {
      if (service === 'transactions' && 'unavailable' in database) return database.unavailable;
      if (need === 'store' && !('container' in database && database.container)) {
        return `${storeOf(service)} is the server DATABASE_URL names, which the suite does not restart`;
      }
      return undefined;
    },
    async restartStore(service, { kill }) {
      if (!('container' in database && database.container)) {
        throw new Error(driver.unsupported(service, 'store'));
      }
      // Same name, port and volume: the processes reconnect to the same URL and find the data.
      await deletePostgres(database.container, { kill });
      await startPostgres(database.container);
      await driver.waitForReplicas(service);
    },
    async close() {
      closing = true;
      await Promise.all([...running.values()].flat().map((p) => stopProcess(p)));
    },
  };
  return driver;
}
