// `pnpm usage:compose`: what each container of a compose stack really uses under the shop's
// load. It runs the load generator (scripts/load.ts --json) against --origin and meanwhile, every
// --every, samples `docker stats --no-stream` for the project's running containers (label
// com.docker.compose.project); then prints a Markdown table per container (mean and peak CPU,
// mean and peak memory, the memory limit docker reports), the load's summary line and the totals.
// --json adds it all as JSON on the last line. Exit 0 when it measured, 1 when it could not (no
// running container, docker failing, the load generator failing), 2 for a usage error. The flags,
// docker's units and the table are pure, in compose-usage-stats.ts.
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  formatLoadLine,
  formatTable,
  type LoadFigures,
  maxSamples,
  parseStatsLine,
  parseUsageArgs,
  type Reading,
  summarise,
  UsageError,
  type UsageOptions,
  usage,
} from './compose-usage-stats.ts';

const run = promisify(execFile);
const say = (line: string) => console.error(`usage:compose: ${line}`);
const loadScript = fileURLToPath(new URL('load.ts', import.meta.url));

let options: UsageOptions;
try {
  options = parseUsageArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`usage:compose: ${error.message}\n\n${usage}`);
  process.exit(2);
}
if (options.help) {
  console.log(usage);
  process.exit(0);
}
const o = options;

/** The IDs of the project's running containers; one-shots that have exited are not among them. */
async function containerIds(): Promise<string[]> {
  const label = `label=com.docker.compose.project=${o.project}`;
  const { stdout } = await run('docker', ['ps', '-q', '--filter', label], { timeout: 30_000 });
  return stdout.split('\n').filter((id) => id !== '');
}

async function sample(): Promise<Reading[]> {
  const ids = await containerIds();
  if (ids.length === 0) return [];
  const args = ['stats', '--no-stream', '--format', '{{json .}}', ...ids];
  const { stdout } = await run('docker', args, { timeout: 30_000 });
  return stdout.split('\n').flatMap((line) => parseStatsLine(line) ?? []);
}

let first: string[];
try {
  first = await containerIds();
} catch (error) {
  say(`docker ps failed: ${(error as Error).message.trim()}`);
  process.exit(1);
}
if (first.length === 0) {
  say(
    `no running container in compose project "${o.project}": is \`docker-compose -p ${o.project} up -d\` running?`,
  );
  process.exit(1);
}

const bound = maxSamples(o);
say(
  `${first.length} containers of project ${o.project}, sampled every ${o.everySeconds} s ` +
    `(at most ${bound} samples) while the load runs: ${o.rate} journeys/s for ` +
    `${o.durationSeconds} s against ${o.origin}.`,
);

const load = spawn(
  process.execPath,
  [
    loadScript,
    '--origin',
    o.origin,
    '--rate',
    String(o.rate),
    '--duration',
    `${o.durationSeconds}s`,
    '--json',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const loadLines: string[] = [];
let partial = '';
load.stdout.setEncoding('utf8');
load.stdout.on('data', (chunk: string) => {
  const lines = (partial + chunk).split('\n');
  partial = lines.pop() ?? '';
  for (const line of lines) {
    loadLines.push(line);
    // The load's windows and summary are progress here: to stderr, so that stdout is the
    // table alone. Its JSON line is read below.
    if (!line.startsWith('{')) console.error(line);
  }
});
const loadExit = new Promise<number | null>((resolve) => {
  load.on('close', (code) => resolve(code));
  load.on('error', (error) => {
    say(`could not start the load generator: ${error.message}`);
    resolve(null);
  });
});
let loadDone = false;
void loadExit.then(() => {
  loadDone = true;
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    say(`${signal}: stopping the load; the table covers the samples so far`);
    load.kill('SIGINT');
  });
}

const samples: Reading[][] = [];
let failedSamples = 0;
for (let i = 0; i < bound && !loadDone; i++) {
  const startedAt = Date.now();
  try {
    const readings = await sample();
    if (readings.length > 0) samples.push(readings);
  } catch (error) {
    // A container that went away between `docker ps` and `docker stats`: the next one counts.
    failedSamples++;
    say(`docker stats failed: ${(error as Error).message.trim().split('\n')[0]}`);
  }
  const wait = o.everySeconds * 1000 - (Date.now() - startedAt);
  if (wait > 0 && !loadDone) {
    await Promise.race([new Promise((resolve) => setTimeout(resolve, wait)), loadExit]);
  }
}
if (!loadDone) {
  say(`${bound} samples taken: stopping the load`);
  load.kill('SIGINT');
}
const code = await loadExit;

const lastLine = [...loadLines, partial].filter((line) => line.trim() !== '').at(-1) ?? '';
let loadSummary: LoadFigures & Record<string, unknown>;
try {
  loadSummary = JSON.parse(lastLine) as LoadFigures & Record<string, unknown>;
} catch {
  say(`the load generator (exit ${code}) printed no JSON summary`);
  process.exit(1);
}
if (samples.length === 0) {
  say(`no sample had figures (${failedSamples} failed)`);
  process.exit(1);
}

const result = summarise(samples);
console.log(
  `\n${samples.length} samples of \`docker stats\`, every ${o.everySeconds} s, project ${o.project}` +
    (failedSamples > 0 ? ` (${failedSamples} failed)` : ''),
);
console.log(`\n${formatTable(result)}\n`);
console.log(formatLoadLine(loadSummary));
console.log(
  `totals: ${result.totals.peakMemoryMiB.toFixed(1)} MiB of peak memory summed, ` +
    `${result.totals.meanCpuCores.toFixed(2)} cores of mean CPU summed`,
);
if (o.json) {
  console.log(
    JSON.stringify({
      project: o.project,
      origin: o.origin,
      everySeconds: o.everySeconds,
      samples: samples.length,
      failedSamples,
      ...result,
      load: loadSummary,
    }),
  );
}
process.exit(0);
