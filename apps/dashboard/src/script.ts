// `pnpm demo --script`: the talk's run. Each step says in a sentence what is about to happen and
// what the room should expect, waits for a key, performs the fault through the board (so the
// dashboard on the screen follows along) and says what survived; the end prints the survival
// table as observed. The steps are the talk's order, not the table's: the surprise comes last.
import type { Fault } from '../../../e2e/src/survival.ts';
import type { Board } from './board.ts';

export interface Step {
  row: string;
  fault: Fault;
  /** What to tell the room before the key press. */
  say: string;
}

export const STEPS: readonly Step[] = [
  {
    row: 'geo',
    fault: 'kill every replica',
    say: 'geo keeps nothing at all (quadrant C). Kill every replica: new ones answer exactly the same.',
  },
  {
    row: 'transactions',
    fault: 'kill one replica',
    say: 'transactions is money on PostgreSQL (quadrant A). Kill a replica while a transfer is retried: every transfer there exactly once.',
  },
  {
    row: 'transactions',
    fault: 'restart the store',
    say: 'Now crash PostgreSQL itself. Its data is on a persistent volume: the money is still there.',
  },
  {
    row: 'uploads',
    fault: 'roll out a new version',
    say: 'uploads writes files to a shared volume (quadrant B). Roll out a new version: every file byte for byte.',
  },
  {
    row: 'static-site',
    fault: 'kill every replica',
    say: 'static-site has a read-only disk (quadrant B′), filled from the bucket at start-up. Kill them all: they copy the site again.',
  },
  {
    row: 'basket',
    fault: 'kill every replica',
    say: 'basket keeps its state in Redis with no disk (quadrant D). Kill every basket replica: the baskets are in Redis, so they stay.',
  },
  {
    row: 'basket',
    fault: 'restart the store',
    say: 'Now restart Redis. No persistence, no disk: watch the basket count go to zero.',
  },
  {
    row: 'basket (persistent-basket)',
    fault: 'restart the store',
    say: 'The same with the persistent-basket variant: Redis with its append-only file on a disk. This time the baskets survive.',
  },
];

export interface ScriptIo {
  say(line: string): void;
  /** Whether `next` waits for a key (a terminal, and not --no-pause). */
  interactive: boolean;
  /** Resolves on a key press; false when the presenter pressed q to stop. */
  next(): Promise<boolean>;
}

/** Runs the steps in order; resolves with the observed table (also when stopped early). */
export async function runScript(board: Board, io: ScriptIo, steps = STEPS): Promise<string> {
  for (const [n, step] of steps.entries()) {
    io.say(`\n[${n + 1}/${steps.length}] ${step.row}: ${step.fault}`);
    io.say(`  ${step.say}`);
    const row = board.view().rows.find((r) => r.name === step.row);
    const unsupported = row?.faults.find((f) => f.fault === step.fault)?.unsupported;
    if (unsupported) {
      io.say(`  skipped here: ${unsupported}`);
      continue;
    }
    if (io.interactive) io.say('  press a key to go on (q stops)');
    if (!(await io.next())) break;
    const run = await board.startFault(step.row, step.fault).done;
    if (run.state === 'failed') {
      io.say(`  the fault failed after ${run.seconds} s: ${run.error}`);
      continue;
    }
    const verdict = run.asExpected ? 'as the table says' : `the table says ${run.expected}`;
    io.say(
      `  ${run.cell} (${verdict}) after ${run.seconds} s: before, ${run.before?.figure}; after, ${run.after?.figure}`,
    );
  }
  const table = board.table();
  io.say(`\nWhat survived, as observed:\n\n${table}\n`);
  return table;
}

/** Key presses on a terminal; without one (CI, a pipe), every step goes on at once. */
export function terminalIo(options: { pause: boolean }): ScriptIo {
  const stdin = process.stdin;
  const interactive = options.pause && stdin.isTTY === true;
  return {
    say: (line) => console.log(line),
    interactive,
    async next() {
      if (!interactive) return true;
      stdin.setRawMode(true);
      stdin.resume();
      const key = await new Promise<string>((resolve) =>
        stdin.once('data', (chunk: Buffer) => resolve(chunk.toString())),
      );
      stdin.setRawMode(false);
      stdin.pause();
      // Ctrl-C in raw mode arrives as a byte, not a signal.
      if (key === '\u0003') process.kill(process.pid, 'SIGINT');
      return key !== 'q' && key !== '\u0003';
    },
  };
}
