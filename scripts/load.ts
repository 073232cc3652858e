// `pnpm load`: simulated shoppers run the storefront's journey (load-journey.ts) against one
// origin at --rate journeys a second for --duration, at most --concurrency at once. Every
// --every it prints one line per service (requests/s, errors, p50, p99 of that window), and at
// the end, or on Ctrl-C, a summary of the run (load-stats.ts); --json adds it as JSON on the
// last line. Exit 0 when the run finished, whatever it counted, unless --max-error-rate is given
// and exceeded (1); 2 for a usage error. The flags and their bounds are in load-options.ts.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { runJourney, type ShopAccounts } from './load-journey.ts';
import { type LoadOptions, parseLoadArgs, UsageError, usage } from './load-options.ts';
import { formatSummary, formatWindow, LoadStats } from './load-stats.ts';

const say = (line: string) => console.error(`load: ${line}`);

let options: LoadOptions;
try {
  options = parseLoadArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`load: ${error.message}\n\n${usage}`);
  process.exit(2);
}
if (options.help) {
  console.log(usage);
  process.exit(0);
}

// The shop's references: the file the transactions seed creates the accounts from.
const accountFile = fileURLToPath(
  new URL('../services/transactions/seed/shop-accounts.json', import.meta.url),
);
const accounts = JSON.parse(readFileSync(accountFile, 'utf8')) as ShopAccounts;

/** The share of paid checkouts that upload a receipt, as some shoppers do. */
const uploadShare = 0.2;

const stop = new AbortController();
// One Ctrl-C arrives twice (from the terminal, and forwarded by pnpm); either stops the run.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (!stop.signal.aborted) say(`${signal}: stopping; the journeys in flight are cancelled`);
    stop.abort();
  });
}

const o = options;
say(
  `${o.rate} journeys/s for ${o.durationSeconds} s against ${o.origin}, at most ${o.concurrency} ` +
    `in flight, each request at most ${o.timeoutSeconds} s; shop accounts from ` +
    `${relative(process.cwd(), accountFile) || accountFile}. Ctrl-C stops early.`,
);

const start = performance.now();
const stats = new LoadStats(o.origin, start);
const inFlight = new Set<Promise<unknown>>();
const context = {
  origin: o.origin,
  stats,
  accounts,
  signal: stop.signal,
  timeoutMs: o.timeoutSeconds * 1000,
  uploadShare,
  random: Math.random,
};

const ticker = setInterval(() => {
  console.log(formatWindow(stats.window(performance.now(), inFlight.size)));
}, o.everySeconds * 1000);

// Open model: arrival n is due at start + n / rate, whether or not the earlier ones are done, so
// a slow system gets the same offered load (and shows it) instead of a politely smaller one.
const end = start + o.durationSeconds * 1000;
for (let n = 0; !stop.signal.aborted; n++) {
  const due = start + (n * 1000) / o.rate;
  if (due >= end) break;
  const wait = due - performance.now();
  if (wait > 0) await sleep(wait, undefined, { signal: stop.signal }).catch(() => undefined);
  if (stop.signal.aborted) break;
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
if (rest > 0 && !stop.signal.aborted) {
  await sleep(rest, undefined, { signal: stop.signal }).catch(() => undefined);
}
if (inFlight.size > 0 && !stop.signal.aborted) {
  const journeys = inFlight.size === 1 ? 'journey' : 'journeys';
  say(`${o.durationSeconds} s are up: waiting for the ${inFlight.size} ${journeys} in flight`);
}
await Promise.all(inFlight);
clearInterval(ticker);

const now = performance.now();
const last = stats.window(now, 0);
if (last.toSeconds - last.fromSeconds >= 0.5) console.log(formatWindow(last));
const summary = stats.summary(now);
console.log(`\n${formatSummary(summary, o.concurrency)}`);
const refused = summary.errorReasons.every(({ reason }) => reason.endsWith('ECONNREFUSED'));
if (summary.requests > 0 && summary.errors === summary.requests && refused) {
  say(`nothing answered at ${o.origin}: is \`pnpm start\` (or compose, or kind) running?`);
}

let code = 0;
if (o.maxErrorRate !== undefined && summary.errorRate > o.maxErrorRate) {
  say(
    `error rate ${(summary.errorRate * 100).toFixed(2)} % is above --max-error-rate ` +
      `${(o.maxErrorRate * 100).toFixed(2)} %`,
  );
  code = 1;
}
if (o.json) console.log(JSON.stringify(summary));
process.exit(code);
