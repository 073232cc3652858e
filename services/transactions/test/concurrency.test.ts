// Issue 8, part 5: many clients at once, on two replicas of the app over one database, each
// sending some requests twice and losing some answers. The ledger must come out as if every
// acknowledged transfer had been applied exactly once, and nothing else.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freshDatabase, type Ledger, readInvariants, startLedger } from './ledger.ts';
import { audit, describeRun, expectExactlyOnce, openAccounts, startLoad } from './load.ts';

const ACCOUNTS = 20;
const OPENING_BALANCE = 10_000;
const WORKERS = 16;
const TRANSFERS_PER_WORKER = 60;

let replicas: [Ledger, Ledger];
beforeAll(async () => {
  const url = await freshDatabase();
  replicas = [await startLedger({ url }), await startLedger({ url })];
});
afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.close()));
});

describe('POST /transfers under concurrent load', () => {
  test('money is conserved, every acknowledged transfer exists exactly once, and no key is applied twice', async () => {
    const [one, two] = replicas;
    const accounts = await openAccounts(one.api, ACCOUNTS, OPENING_BALANCE);
    const before = await readInvariants(one.db);
    const started = Date.now();

    const load = startLoad({
      apis: [one.api, two.api],
      accounts,
      workers: WORKERS,
      transfersPerWorker: TRANSFERS_PER_WORKER,
      // Bounds for a busy 2-core runner; an idle one needs about a tenth of maxMs.
      maxMs: 90_000,
      settleMs: 60_000,
    });
    await load.done;
    const seconds = (Date.now() - started) / 1_000;

    // Read back through the second replica: what either acknowledged, both serve.
    const result = await audit({ db: one.db, api: two.api, accounts, before, load });
    console.log(
      describeRun(
        `concurrency: ${WORKERS} workers × ${TRANSFERS_PER_WORKER} transfers, ${ACCOUNTS} accounts, 2 replicas, ${seconds.toFixed(1)} s`,
        load,
        result,
      ),
    );

    expect(before.totalBalance).toBe(ACCOUNTS * OPENING_BALANCE);
    expectExactlyOnce(result);
    // The run did exercise what it claims to (each is one in twenty or more of 960 transfers).
    const { counts } = load;
    expect(counts.duplicates).toBeGreaterThan(0);
    expect(counts.dropped).toBeGreaterThan(0);
    expect(counts.createdReplays).toBeGreaterThan(0);
    expect(counts.refused).toBeGreaterThan(0);
    expect(counts.refusedReplays).toBeGreaterThan(0);
  }, 300_000);
});
