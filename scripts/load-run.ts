// The load generator's run, without its command line: simulated shoppers start the storefront's
// journey (load-journey.ts) at `rate` a second for `durationSeconds`, at most `concurrency` at
// once, and every `everySeconds` the window so far goes to `onWindow`. `pnpm load` (load.ts)
// prints the windows and the summary; the survival dashboard (apps/dashboard) shows them live.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { runJourney, type ShopAccounts } from './load-journey.ts';
import { LoadStats, type Summary, type Window } from './load-stats.ts';

/** The shop's references: the file the transactions seed creates the accounts from. */
export const accountFile = fileURLToPath(
  new URL('../services/transactions/seed/shop-accounts.json', import.meta.url),
);

/** The share of paid checkouts that upload a receipt, as some shoppers do. */
const uploadShare = 0.2;

export interface RunLoadOptions {
  origin: string;
  rate: number;
  durationSeconds: number;
  concurrency: number;
  everySeconds: number;
  timeoutSeconds: number;
  /** Aborting it ends the run early: the journeys in flight are cancelled. */
  signal: AbortSignal;
  onWindow(window: Window): void;
  /** Told once the duration is up while journeys are still in flight. */
  onDrain?(inFlight: number): void;
}

/** Runs the load, and resolves with its summary once the last journey has ended. */
export async function runLoad(o: RunLoadOptions): Promise<Summary> {
  const accounts = JSON.parse(readFileSync(accountFile, 'utf8')) as ShopAccounts;
  const start = performance.now();
  const stats = new LoadStats(o.origin, start);
  const inFlight = new Set<Promise<unknown>>();
  const context = {
    origin: o.origin,
    stats,
    accounts,
    signal: o.signal,
    timeoutMs: o.timeoutSeconds * 1000,
    uploadShare,
    random: Math.random,
  };

  const ticker = setInterval(() => {
    o.onWindow(stats.window(performance.now(), inFlight.size));
  }, o.everySeconds * 1000);

  // Open model: arrival n is due at start + n / rate, whether or not the earlier ones are done,
  // so a slow system gets the same offered load (and shows it) instead of a politely smaller one.
  const end = start + o.durationSeconds * 1000;
  try {
    for (let n = 0; !o.signal.aborted; n++) {
      const due = start + (n * 1000) / o.rate;
      if (due >= end) break;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait, undefined, { signal: o.signal }).catch(() => undefined);
      if (o.signal.aborted) break;
      if (inFlight.size >= o.concurrency) {
        stats.journey('skipped');
        continue;
      }
      stats.journey('started');
      const journey = runJourney(context).then((how) => {
        stats.journey(how);
        inFlight.delete(journey);
      });
      inFlight.add(journey);
    }

    // The run lasts its duration even when the last journey was quick, so that req/s is per second.
    const rest = end - performance.now();
    if (rest > 0 && !o.signal.aborted) {
      await sleep(rest, undefined, { signal: o.signal }).catch(() => undefined);
    }
    if (inFlight.size > 0 && !o.signal.aborted) o.onDrain?.(inFlight.size);
    await Promise.all(inFlight);
  } finally {
    clearInterval(ticker);
  }

  const now = performance.now();
  const last = stats.window(now, 0);
  if (last.toSeconds - last.fromSeconds >= 0.5) o.onWindow(last);
  return stats.summary(now);
}
