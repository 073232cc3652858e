// `pnpm load`: simulated shoppers run the storefront's journey (load-journey.ts) against one
// origin at --rate journeys a second for --duration, at most --concurrency at once. Every
// --every it prints one line per service (requests/s, errors, p50, p99 of that window), and at
// the end, or on Ctrl-C, a summary of the run (load-stats.ts); --json adds it as JSON on the
// last line. Exit 0 when the run finished, whatever it counted, unless --max-error-rate is given
// and exceeded (1); 2 for a usage error. The flags and their bounds are in load-options.ts.
import { relative } from 'node:path';
import { type LoadOptions, parseLoadArgs, UsageError, usage } from './load-options.ts';
import { accountFile, runLoad } from './load-run.ts';
import { formatSummary, formatWindow } from './load-stats.ts';

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

const summary = await runLoad({
  ...o,
  signal: stop.signal,
  onWindow: (window) => console.log(formatWindow(window)),
  onDrain(inFlight) {
    const journeys = inFlight === 1 ? 'journey' : 'journeys';
    say(`${o.durationSeconds} s are up: waiting for the ${inFlight} ${journeys} in flight`);
  },
});
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
