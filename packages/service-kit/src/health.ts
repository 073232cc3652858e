import type { Router } from 'express';
import express from 'express';

/** Resolves when the dependency is usable; rejects (or times out) when it is not. */
export type ReadinessCheck = () => Promise<void>;

export interface Health {
  /** Adds a dependency that /readyz must find usable. */
  addCheck(name: string, check: ReadinessCheck): void;
  /** From now on /readyz answers 503, so load balancers stop sending new work. */
  markShuttingDown(): void;
  readonly shuttingDown: boolean;
  router: Router;
}

async function withTimeout(check: ReadinessCheck, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * /healthz says the process can serve (liveness: it never looks at dependencies, so a database
 * outage does not restart every pod); /readyz says it should get traffic now.
 */
export function createHealth(options: { checkTimeoutMs?: number } = {}): Health {
  const checkTimeoutMs = options.checkTimeoutMs ?? 2_000;
  const checks = new Map<string, ReadinessCheck>();
  let shuttingDown = false;

  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    res.set('Cache-Control', 'no-store');
    if (shuttingDown) {
      res.status(503).json({ status: 'shutting down', checks: {} });
      return;
    }
    const results = await Promise.all(
      [...checks].map(async ([name, check]) => {
        try {
          await withTimeout(check, checkTimeoutMs);
          return [name, 'ok'] as const;
        } catch (error) {
          req.log.warn({ err: error, check: name }, 'readiness check failed');
          return [name, 'failing'] as const;
        }
      }),
    );
    const ready = results.every(([, state]) => state === 'ok');
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'not ready',
      checks: Object.fromEntries(results),
    });
  });

  return {
    addCheck(name, check) {
      checks.set(name, check);
    },
    markShuttingDown() {
      shuttingDown = true;
    },
    get shuttingDown() {
      return shuttingDown;
    },
    router,
  };
}
