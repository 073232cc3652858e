// static-site's sync command, the initContainer: one complete, verified copy of the bucket's
// prefix in STATIC_DIR, `current` switched to it, then exit 0. It waits for the store as long
// as it takes; a stop signal ends it with nothing switched.

import { loadSyncConfig } from './config.ts';
import { runCommand } from './content/command.ts';
import { syncFromConfig } from './content/sync.ts';

await runCommand({
  name: 'sync',
  loadConfig: loadSyncConfig,
  async run({ config, log, signal }) {
    await syncFromConfig(config, log, signal);
  },
});
