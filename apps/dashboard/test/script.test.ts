// The talk's script over a board that records the faults it is asked for: the order, the
// narration, a step the target cannot perform, q to stop, and the table at the end.
import { describe, expect, test } from 'vitest';
import type { Board, FaultRun } from '../src/board.ts';
import { runScript, type ScriptIo, STEPS } from '../src/script.ts';

function aBoard(options: { unsupported?: string } = {}) {
  const performed: string[] = [];
  const board = {
    view: () => ({
      rows: STEPS.map((step) => ({
        name: step.row,
        faults: [
          {
            fault: step.fault,
            expected: 'kept',
            ...(options.unsupported && step.row === 'basket (persistent-basket)'
              ? { unsupported: options.unsupported }
              : {}),
          },
        ],
      })),
    }),
    startFault(row: string, fault: string) {
      performed.push(`${row}: ${fault}`);
      const run: Partial<FaultRun> = {
        state: 'done',
        cell: row === 'basket' && fault === 'restart the store' ? 'lost' : 'kept',
        asExpected: true,
        expected: 'kept',
        seconds: 1,
        before: { cell: 'kept', figure: '3 of 3', kept: 3, of: 3 },
        after: { cell: 'kept', figure: '3 of 3', kept: 3, of: 3 },
      };
      return { done: Promise.resolve(run as FaultRun) };
    },
    table: () => '| the table |',
  } as unknown as Board;
  return { board, performed };
}

function anIo(keys: boolean[] = []) {
  const lines: string[] = [];
  const io: ScriptIo = {
    say: (line) => lines.push(line),
    interactive: true,
    next: async () => keys.shift() ?? true,
  };
  return { io, lines };
}

describe('runScript', () => {
  test('performs every step in the talk’s order, narrating each, and ends with the table', async () => {
    const { board, performed } = aBoard();
    const { io, lines } = anIo();
    const table = await runScript(board, io);
    expect(performed).toEqual(STEPS.map((s) => `${s.row}: ${s.fault}`));
    expect(table).toBe('| the table |');
    expect(lines.at(-1)).toContain('| the table |');
    expect(lines.filter((l) => l.startsWith('  press a key')).length).toBe(STEPS.length);
  });

  test('the basket store restart comes after the basket kill, and before the persistent one', () => {
    const at = (row: string, fault: string) =>
      STEPS.findIndex((s) => s.row === row && s.fault === fault);
    expect(at('basket', 'kill every replica')).toBeLessThan(at('basket', 'restart the store'));
    expect(at('basket', 'restart the store')).toBeLessThan(
      at('basket (persistent-basket)', 'restart the store'),
    );
  });

  test('a step the target cannot perform is said and skipped, not performed', async () => {
    const { board, performed } = aBoard({ unsupported: 'no Docker here' });
    const { io, lines } = anIo();
    await runScript(board, io);
    expect(performed).not.toContain('basket (persistent-basket): restart the store');
    expect(lines).toContain('  skipped here: no Docker here');
  });

  test('q stops the run, and the table observed so far is still printed', async () => {
    const { board, performed } = aBoard();
    const { io, lines } = anIo([true, false]);
    await runScript(board, io);
    expect(performed).toEqual([`${STEPS[0]?.row}: ${STEPS[0]?.fault}`]);
    expect(lines.at(-1)).toContain('| the table |');
  });
});
