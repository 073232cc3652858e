// The survival matrix: what each quadrant keeps through each fault, kept in one place. The e2e
// survival test performs every fault a target supports and asserts the cell it observed equals
// the one here; the README's table is what that test printed.

import type { Driver } from './targets/index.ts';

export const FAULTS = [
  'kill one replica',
  'kill every replica',
  'roll out a new version',
  'restart the store',
] as const;
export type Fault = (typeof FAULTS)[number];

/** `kept`: all of it there afterwards; `lost`: none of it; `n/a`: the fault has no meaning here. */
export type Cell = 'kept' | 'lost' | 'n/a';

export interface SurvivalRow {
  /** The row's name in the table. */
  name: string;
  service: 'transactions' | 'uploads' | 'static-site' | 'geo' | 'basket';
  quadrant: 'A' | 'B' | 'B′' | 'C' | 'D';
  /** basket's store as the persistent-basket variant runs it (AOF on a disk). */
  variant?: 'persistent';
  /** What "kept" means for this row. */
  keeps: string;
  expected: Record<Fault, Cell>;
}

const allKept = (overrides: Partial<Record<Fault, Cell>> = {}): Record<Fault, Cell> => ({
  'kill one replica': 'kept',
  'kill every replica': 'kept',
  'roll out a new version': 'kept',
  'restart the store': 'kept',
  ...overrides,
});

export const SURVIVAL: readonly SurvivalRow[] = [
  {
    name: 'transactions',
    service: 'transactions',
    quadrant: 'A',
    keeps: 'every transfer exactly once (one retried across the fault too), the money conserved',
    expected: allKept(),
  },
  {
    name: 'uploads',
    service: 'uploads',
    quadrant: 'B',
    keeps: 'every upload, byte for byte',
    // Its store is the shared volume itself: nothing to restart beside the replicas.
    expected: allKept({ 'restart the store': 'n/a' }),
  },
  {
    name: 'static-site',
    service: 'static-site',
    quadrant: 'B′',
    keeps: 'the site, each replica re-synced from the bucket and equal to it',
    expected: allKept(),
  },
  {
    name: 'geo',
    service: 'geo',
    quadrant: 'C',
    keeps: 'the same answers (it keeps nothing)',
    expected: allKept({ 'restart the store': 'n/a' }),
  },
  {
    name: 'basket',
    service: 'basket',
    quadrant: 'D',
    keeps: 'baskets: across replica deaths, not across a restart of the store',
    expected: allKept({ 'restart the store': 'lost' }),
  },
  {
    name: 'basket (persistent-basket)',
    service: 'basket',
    quadrant: 'D',
    variant: 'persistent',
    keeps: 'baskets, the store with its append-only file on a disk',
    expected: allKept(),
  },
];

/** The observed cells as a Markdown table, a cell that differs from SURVIVAL marked. */
export function survivalTable(
  target: string,
  observed: ReadonlyMap<string, Partial<Record<Fault, Cell | string>>>,
): string {
  const header = `| ${target} | quadrant | ${FAULTS.join(' | ')} |`;
  const rule = `|---|---|${FAULTS.map(() => '---').join('|')}|`;
  const rows = SURVIVAL.map((row) => {
    const cells = FAULTS.map((fault) => {
      const seen = observed.get(row.name)?.[fault];
      if (seen === undefined) return '—';
      return seen === row.expected[fault] ? seen : `**${seen}** (expected ${row.expected[fault]})`;
    });
    return `| ${row.name} | ${row.quadrant} | ${cells.join(' | ')} |`;
  });
  return [header, rule, ...rows].join('\n');
}

/**
 * Performs `fault` on `row`'s service through `driver`, as the survival test and the dashboard
 * both do; resolves once every replica is ready again.
 */
export async function performFault(driver: Driver, row: SurvivalRow, fault: Fault): Promise<void> {
  const { service } = row;
  switch (fault) {
    case 'kill one replica': {
      const [replica] = await driver.waitForReplicas(service);
      if (!replica) throw new Error(`${service} has no replica`);
      await driver.killReplica(service, replica);
      break;
    }
    case 'kill every replica':
      for (const replica of await driver.waitForReplicas(service)) {
        await driver.killReplica(service, replica);
      }
      break;
    case 'roll out a new version':
      await driver.rolloutRestart(service);
      break;
    case 'restart the store':
      // A crash (SIGKILL), but for the persistent basket: a clean stop, on which Valkey flushes
      // its append-only file (everysec could otherwise lose the last second, by design).
      await driver.restartStore(service, { kill: row.variant !== 'persistent' });
      break;
  }
  await driver.waitForReplicas(service);
}
