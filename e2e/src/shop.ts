// The shop's data on a target: the seed run through the one origin where the target has no seed
// step of its own in the suite (local), and the wait for it everywhere.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import shop from '../../services/transactions/seed/shop-accounts.json' with { type: 'json' };
import { until } from './wait.ts';

export { shop };

const seedEntry = fileURLToPath(
  new URL('../../services/transactions/src/seed-shop.ts', import.meta.url),
);

/** The account with `reference`, through the origin, or undefined. */
export async function accountByReference(
  origin: string,
  reference: string,
): Promise<{ id: string; balance: number } | undefined> {
  const res = await fetch(
    `${origin}/api/transactions/accounts?reference=${encodeURIComponent(reference)}`,
    { signal: AbortSignal.timeout(15_000) },
  );
  if (!res.ok) throw new Error(`GET /accounts?reference=${reference} answered ${res.status}`);
  return ((await res.json()) as { accounts: { id: string; balance: number }[] }).accounts[0];
}

/**
 * Resolves once the shop's accounts exist on `origin`. local: the test worker's processes have
 * a database no seed ran on, so this runs the seed `pnpm start` runs; compose and kind: their
 * own one-shot and Job have run it, or soon will.
 */
export async function shopSeeded(origin: string, target: string): Promise<void> {
  if (target === 'local') {
    const child = spawn(process.execPath, ['--conditions=@quadrants/source', seedEntry], {
      env: { ...process.env, TRANSACTIONS_URL: `${origin}/api/transactions`, LOG_LEVEL: 'warn' },
      stdio: 'inherit',
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`the shop seed exited with ${code}`);
  }
  await until('the shop seed', async () =>
    (await accountByReference(origin, shop.shop.reference)) ? true : undefined,
  );
}
