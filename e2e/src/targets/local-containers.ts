// What the local target's store containers (local-postgres.ts, local-redis.ts) share: Docker
// through testcontainers' client, and a loopback port to publish on.
import { createServer } from 'node:net';
import { getContainerRuntimeClient } from 'testcontainers';

// Ryuk, testcontainers' reaper, is an image from a registry that may be out of reach; the global
// teardown removes what the suite started instead.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
// The ports are published on the host's loopback, so that is where testcontainers must look for
// them; left to itself, inside a container it would try the Docker bridge's gateway.
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';

/** A loopback port nothing listens on now, which a container then keeps for the whole run. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ port: 0, host: '127.0.0.1' }, () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error()),
      );
    });
  });
}

/** The Docker engine's API (dockerode), as testcontainers found it. */
const docker = async () => (await getContainerRuntimeClient()).container.dockerode;

export async function dockerAnswers(): Promise<boolean> {
  try {
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

export interface DeleteOptions {
  /** SIGKILL; false: the image's clean stop within `graceSeconds`. */
  kill: boolean;
  graceSeconds: number;
  /** Done, rather than an error, when there is no such container (a start that failed). */
  missingOk?: boolean;
}

/** Stops the container `name` (if it runs) and deletes it; its named volumes stay. */
export async function deleteContainer(name: string, options: DeleteOptions): Promise<void> {
  const container = (await docker()).getContainer(name);
  let running: boolean;
  try {
    running = (await container.inspect()).State.Running;
  } catch (error) {
    if (options.missingOk && (error as { statusCode?: number }).statusCode === 404) return;
    throw error;
  }
  if (running && options.kill) await container.kill({ signal: 'SIGKILL' });
  else if (running) await container.stop({ t: options.graceSeconds });
  await container.remove({ force: true });
}

/** Deletes the container `name` and the volume `volume`, whichever of them exists. */
export async function removeContainerAndVolume(name: string, volume: string): Promise<void> {
  const client = await docker();
  await client
    .getContainer(name)
    .remove({ force: true })
    .catch(() => {});
  await removeVolume(volume);
}

/** Deletes the volume `volume` if it exists. */
export async function removeVolume(volume: string): Promise<void> {
  await (await docker())
    .getVolume(volume)
    .remove()
    .catch(() => {});
}
