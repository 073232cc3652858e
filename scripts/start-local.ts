// `pnpm start`: every service as a local process on its own port, with embedded defaults and no
// Docker. Ctrl-C stops them all gracefully.
import { type LocalProcess, startProcess, stopProcess } from './local-processes.ts';
import { services } from './services.ts';

const running: LocalProcess[] = [];
for (const service of services) {
  running.push(
    await startProcess(service, {
      port: service.port,
      env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' },
      echo: (line) => console.log(line),
    }),
  );
}

console.log('\nquadrants is running:');
for (const process of running) console.log(`  ${process.service.padEnd(14)} ${process.url}`);
console.log('Ctrl-C stops every service.\n');

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await Promise.all(running.map((service) => stopProcess(service)));
    process.exit(0);
  });
}

// If any service dies on its own, stop the rest and say so rather than run half a system.
const first = await Promise.race(running.map(async (p) => ({ p, code: await p.exited })));
if (!stopping) {
  console.error(`${first.p.service} exited with code ${first.code}; stopping the others`);
  await Promise.all(running.map((service) => stopProcess(service)));
  process.exit(1);
}
