// `pnpm demo`: brings the system up on a target (the e2e suite's own: processes locally,
// containers in compose, a kind cluster), opens the survival dashboard on 127.0.0.1 and runs the
// shop's load generator through the one origin; `--script` steps through the talk's faults in
// the terminal as well. Ctrl-C closes the dashboard and takes down what it brought up (not with
// --keep). Exit 2 for a usage error, 1 when the system would not come up.
import { parseArgs } from 'node:util';
import { createLogger } from '@quadrants/service-kit';

const usage = `usage: pnpm demo [--target local|compose|kind] [--port 7070] [--rate 2]
                 [--script [--no-pause]] [--keep]

Brings the system up on --target (default: local, or E2E_TARGET), opens the survival dashboard at
http://127.0.0.1:<port>/ and offers --rate shop journeys a second through the one origin (0: no
load). Each cell's buttons kill its replicas, roll it out or restart its store, and the cell shows
what survived.
  --script     also step through the talk's faults in this terminal, a key press between steps
  --no-pause   with --script: do not wait for keys (a rehearsal, CI); exits at the end
  --keep       leave the system running on exit (compose project quadrants-demo, kind's cluster)
See docs/demo.md.`;

function fail(message: string): never {
  console.error(`demo: ${message}\n\n${usage}`);
  process.exit(2);
}

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      target: { type: 'string', default: process.env.E2E_TARGET ?? 'local' },
      port: { type: 'string', default: '7070' },
      rate: { type: 'string', default: '2' },
      script: { type: 'boolean', default: false },
      'no-pause': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  }).values;
}
try {
  args = parse();
} catch (error) {
  fail((error as Error).message);
}
if (args.help) {
  console.log(usage);
  process.exit(0);
}
const targets = ['local', 'compose', 'kind'];
if (!targets.includes(args.target)) fail(`--target must be one of ${targets.join(', ')}`);
const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) fail('--port must be 0–65535');
const rate = Number(args.rate);
if (!Number.isFinite(rate) || rate < 0 || rate > 20) fail('--rate must be 0–20 journeys a second');

// A compose stack of the demo's own, beside a `docker-compose up` and the e2e suite's. Read by
// the compose driver as it loads, so set before the import.
process.env.E2E_COMPOSE_PROJECT ??= 'quadrants-demo';
process.env.E2E_TARGET = args.target;
const { selectTarget } = await import('../../../e2e/src/targets/index.ts');
const { shopSeeded } = await import('../../../e2e/src/shop.ts');
const { startDashboard } = await import('./dashboard.ts');
const { runScript, terminalIo } = await import('./script.ts');

const log = createLogger({ service: 'dashboard', level: process.env.LOG_LEVEL ?? 'warn' });
const say = (line: string) => console.log(`demo: ${line}`);
const target = selectTarget();

say(`bringing the system up on the ${target.name} target (the first build takes minutes)`);
let state: Awaited<ReturnType<typeof target.up>>;
try {
  state = await target.up();
} catch (error) {
  console.error(`demo: the system did not come up: ${(error as Error).message}`);
  if (!args.keep) await target.down().catch(() => undefined);
  process.exit(1);
}
const driver = target.driver(state);
const origin = await driver.shopOrigin();
await shopSeeded(origin, target.name);
const dashboard = await startDashboard({ driver, target: target.name, log, port, loadRate: rate });

let closing: Promise<void> | undefined;
function shutDown(code: number): Promise<void> {
  closing ??= (async () => {
    say('closing the dashboard');
    await dashboard.close().catch((error) => log.error({ err: error }, 'closing the dashboard'));
    await driver.close().catch(() => undefined);
    if (args.keep) say(`the system keeps running on ${target.name} (--keep)`);
    else {
      say(`taking the ${target.name} target down`);
      await target.down().catch((error) => log.error({ err: error }, 'taking the target down'));
    }
    process.exit(code);
  })();
  return closing;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutDown(0));

say(`the dashboard is at ${dashboard.url} (the shop at ${origin}/shop/)`);
if (rate > 0) say(`the load generator offers ${rate} journeys a second through ${origin}`);
if (args.script) {
  const io = terminalIo({ pause: !args['no-pause'] });
  await runScript(dashboard.board, io);
  if (!args['no-pause'] && process.stdin.isTTY) {
    say('press a key to close');
    await io.next();
  }
  await shutDown(0);
} else {
  say('Ctrl-C closes it');
}
