// static-site's process: config → listen at once (live, not ready) → with STATIC_SYNC_ON_START
// its own sync first, otherwise wait for the initContainer's → load the release `current`
// points to → ready. It never writes STATIC_DIR unless it syncs itself.
import { setTimeout as sleep } from 'node:timers/promises';
import { runService } from '@quadrants/service-kit';
import { createApp } from './app.ts';
import { loadServerConfig } from './config.ts';
import { currentRelease } from './content/release.ts';
import { loadSite, type Site } from './content/site.ts';
import { syncFromConfig } from './content/sync.ts';

/** How often the server looks for the first release while there is none. */
const POLL_MS = 500;

await runService({
  name: 'static-site',
  loadConfig: loadServerConfig,
  async start({ config, kit, register, listen }) {
    const dir = config.STATIC_DIR;
    const log = kit.log;
    const controller = new AbortController();
    let site: Site | undefined;

    const load = async (release: string) => {
      site = await loadSite(dir, release, {
        memoryFileLimit: config.STATIC_MEMORY_FILE_LIMIT,
        memoryBudget: config.STATIC_MEMORY_BUDGET,
        log,
      });
      const { manifest, files } = site;
      log.info(
        { release, objects: manifest.objects, bytes: manifest.bytes, paths: files.size },
        `serving release ${release} of s3://${manifest.bucket}/${manifest.prefix}`,
      );
    };

    // Until a release is loaded the pod is live but not ready; nothing else is checked, so a
    // store outage after start-up never takes a serving replica out of rotation.
    register({
      name: 'content',
      ready: async () => {
        if (!site) throw new Error('no complete copy of the site is loaded yet');
      },
      close: () => controller.abort(new Error('shutting down')),
    });

    const app = createApp({ ...kit, site: () => site, spaFallback: config.STATIC_SPA_FALLBACK });
    await listen(app, { port: config.PORT, host: config.HOST });

    const obtain = async () => {
      if (config.STATIC_SYNC_ON_START) {
        const manifest = await syncFromConfig(
          config,
          log.child({ command: 'sync' }),
          controller.signal,
        );
        await load(manifest.release);
        return;
      }
      // The initContainer (or another process) syncs; serve what it switched `current` to.
      for (let waited = 0; ; waited += POLL_MS) {
        const release = await currentRelease(dir);
        if (release !== undefined) {
          await load(release);
          return;
        }
        if (waited % 30_000 === 0) log.info({ dir }, `waiting for a synced release in ${dir}`);
        await sleep(POLL_MS, undefined, { signal: controller.signal });
      }
    };
    obtain().catch((error: unknown) => {
      if (controller.signal.aborted) return;
      // A release that cannot be loaded is a broken sync, not an outage: say so and stay unready.
      log.error({ err: error, dir }, `cannot serve the site: ${(error as Error).message}`);
    });
  },
});
