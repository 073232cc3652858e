// The board: what the dashboard shows and does, with no HTTP in it. For each row of the survival
// table it watches the service through the e2e suite's driver (its replicas and their readiness,
// the store's state as /readyz reports it, the row's witness: what it wrote and what is still
// there) and performs the row's faults, one at a time, through that same driver, as the survival
// test does. app.ts serves it; script.ts steps through it for a talk.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Cell,
  FAULTS,
  type Fault,
  performFault,
  SURVIVAL,
  type SurvivalRow,
  survivalTable,
} from '../../../e2e/src/survival.ts';
import type { Driver, StoreVariant } from '../../../e2e/src/targets/index.ts';
import { type Observation, verdict, type Witness, writeWitness } from '../../../e2e/src/witness.ts';
import type { Window } from '../../../scripts/load-stats.ts';

export interface ReplicaView {
  id: string;
  ready: boolean;
  /** /readyz's checks that are not ok, or why it did not answer. */
  detail: string;
}

export interface FaultView {
  fault: Fault;
  expected: Cell;
  /** Why this target cannot perform it, if it cannot. */
  unsupported?: string;
}

/** One fault performed: what the witness said before and after, and the cell that makes. */
export interface FaultRun {
  fault: Fault;
  state: 'running' | 'done' | 'failed';
  /** What the run is doing now, in a few words ("waiting for 2 ready replicas"). */
  step: string;
  startedAt: string;
  seconds?: number;
  before?: Observation;
  after?: Observation;
  expected: Cell;
  /** The cell observed; `as expected` tells whether it is the table's. */
  cell?: string;
  asExpected?: boolean;
  error?: string;
}

export interface RowView {
  name: string;
  service: SurvivalRow['service'];
  quadrant: SurvivalRow['quadrant'];
  variant: StoreVariant;
  keeps: string;
  /** False while the other variant of this service's store runs (basket's persistent row). */
  active: boolean;
  faults: FaultView[];
  replicas: ReplicaView[];
  /** The store as the replicas' /readyz sees it ("redis ok"), or what is known instead. */
  store: string;
  /** The witness's latest figure; `error` when it could not be read (the service is down). */
  witness?: Observation;
  witnessError?: string;
  last?: FaultRun;
}

export interface LoadView {
  /** Journeys a second the generator offers. */
  rate: number;
  /** Over the latest window: requests, errors, and per service req/s. */
  requests: number;
  errors: number;
  errorRate: number;
  rps: Record<string, number>;
  seconds: number;
}

export interface BoardView {
  target: string;
  origin: string;
  updatedAt: string;
  /** The row and fault being performed now: one at a time, so the room can follow. */
  busy?: { row: string; fault: Fault };
  rows: RowView[];
  load?: LoadView;
  /** The faults in the table's column order. */
  columns: readonly Fault[];
  /** The cells observed so far, by row name and fault. */
  observed: Record<string, Partial<Record<Fault, Cell | string>>>;
  /** The same as the survival test prints it, Markdown. */
  table: string;
}

export class Busy extends Error {}
export class UnknownFault extends Error {}

export interface BoardOptions {
  driver: Driver;
  target: string;
  origin: string;
  /** How often the board looks again, in ms. */
  intervalMs?: number;
}

const rowKey = (row: SurvivalRow) => row.name;
const variantOf = (row: SurvivalRow): StoreVariant => row.variant ?? 'base';

async function readiness(url: string): Promise<{ ready: boolean; detail: string; checks: string }> {
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
    const body = (await res.json()) as { status?: string; checks?: Record<string, string> };
    const checks = Object.entries(body.checks ?? {});
    const failing = checks.filter(([, state]) => state !== 'ok').map(([name]) => `${name} failing`);
    return {
      ready: res.ok,
      detail: failing.join(', ') || (body.status ?? String(res.status)),
      checks: checks.map(([name, state]) => `${name} ${state}`).join(', '),
    };
  } catch (error) {
    return { ready: false, detail: `no answer (${(error as Error).name})`, checks: '' };
  }
}

export function createBoard(options: BoardOptions) {
  const { driver, target, origin } = options;
  const intervalMs = options.intervalMs ?? 2_000;
  const views = new Map<string, RowView>();
  const witnesses = new Map<string, Witness>();
  const observed = new Map<string, Partial<Record<Fault, Cell | string>>>();
  const listeners = new Set<(view: BoardView) => void>();
  /** Which variant of each service's store runs now: every store starts as base. */
  const variants = new Map<string, StoreVariant>();
  let busy: BoardView['busy'];
  let load: LoadView | undefined;
  let stopped = false;
  let looping: Promise<void> | undefined;
  let inFlight: Promise<unknown> | undefined;

  for (const row of SURVIVAL) {
    // A fault with no meaning for the row is a cell of the table from the start, as in the test.
    for (const fault of FAULTS) {
      if (row.expected[fault] === 'n/a') {
        observed.set(row.name, { ...observed.get(row.name), [fault]: 'n/a' });
      }
    }
    views.set(rowKey(row), {
      name: row.name,
      service: row.service,
      quadrant: row.quadrant,
      variant: variantOf(row),
      keeps: row.keeps,
      active: variantOf(row) === 'base',
      faults: FAULTS.filter((fault) => row.expected[fault] !== 'n/a').map((fault) => {
        const reason =
          driver.unsupported(row.service, 'service') ??
          (fault === 'restart the store' || row.variant
            ? driver.unsupported(row.service, 'store')
            : undefined);
        return { fault, expected: row.expected[fault], ...(reason ? { unsupported: reason } : {}) };
      }),
      replicas: [],
      store: '—',
    });
  }

  const view = (): BoardView => ({
    target,
    origin,
    updatedAt: new Date().toISOString(),
    ...(busy ? { busy } : {}),
    rows: [...views.values()],
    ...(load ? { load } : {}),
    columns: FAULTS,
    observed: Object.fromEntries(observed),
    table: survivalTable(target, observed),
  });
  const publish = () => {
    const now = view();
    for (const listener of listeners) listener(now);
  };

  const isActive = (row: SurvivalRow) => (variants.get(row.service) ?? 'base') === variantOf(row);

  /** A fresh witness for `row`, written through the balanced entry, once the service is up. */
  async function witness(row: SurvivalRow): Promise<Witness> {
    const url = await driver.balancedUrl(row.service);
    const made = await writeWitness(row.service, url, driver);
    witnesses.set(rowKey(row), made);
    return made;
  }

  async function look(row: SurvivalRow): Promise<void> {
    const rowView = views.get(rowKey(row));
    if (!rowView) return;
    rowView.active = isActive(row);
    if (!rowView.active) return;
    const replicas = await driver.replicas(row.service).catch(() => []);
    const seen = await Promise.all(replicas.map((r) => readiness(r.url)));
    rowView.replicas = replicas.map((r, n) => ({
      id: r.id.slice(0, 12),
      ready: seen[n]?.ready ?? false,
      detail: seen[n]?.detail ?? '',
    }));
    rowView.store =
      seen.find((s) => s.checks !== '')?.checks ||
      (replicas.length === 0
        ? 'no replica to ask'
        : seen.some((s) => s.ready)
          ? 'ready, with no dependency to check'
          : 'no replica answered');
    const current = witnesses.get(rowKey(row));
    if (!current) return;
    try {
      rowView.witness = await current.check(await driver.balancedUrl(row.service));
      delete rowView.witnessError;
    } catch (error) {
      rowView.witnessError = (error as Error).message.slice(0, 200);
    }
  }

  async function lookAll(): Promise<void> {
    await Promise.all(SURVIVAL.map((row) => look(row).catch(() => undefined)));
    publish();
  }

  /** Performs `fault` on `row`'s service, as the survival test does; resolves after the check. */
  async function runFault(row: SurvivalRow, fault: Fault, run: FaultRun): Promise<void> {
    const { service } = row;
    const step = (text: string) => {
      run.step = text;
      publish();
    };
    if (!isActive(row)) {
      step(`switching ${service}'s store to ${variantOf(row)}`);
      await driver.useStoreVariant(service, variantOf(row));
      variants.set(service, variantOf(row));
      // What the other variant's store held went with it: its witness is no longer asked.
      for (const other of SURVIVAL) if (other.service === service) witnesses.delete(rowKey(other));
    }
    let current = witnesses.get(rowKey(row));
    const before = current ? await current.check(await driver.balancedUrl(service)) : undefined;
    if (!current || !before || before.kept < before.of || before.cell !== 'kept') {
      step('writing a fresh witness');
      current = await witness(row);
    }
    run.before = await current.check(await driver.balancedUrl(service));
    step(fault);
    const during = current.during?.();
    await performFault(driver, row, fault);
    await during;
    step('asking the witness what is left');
    const after = await driver.balancedUrl(service);
    run.after = await verdict(current, after, row.expected[fault]);
    run.cell = run.after.cell;
    run.asExpected = run.cell === row.expected[fault];
    observed.set(row.name, { ...observed.get(row.name), [fault]: run.cell });
  }

  return {
    /** Brings every row's witness in and starts looking every `intervalMs`. */
    async start(): Promise<void> {
      for (const row of SURVIVAL) {
        if (!isActive(row) || driver.unsupported(row.service, 'service')) continue;
        await driver.waitForReplicas(row.service);
        await witness(row);
      }
      await lookAll();
      looping = (async () => {
        while (!stopped) {
          await sleep(intervalMs);
          if (!stopped) await lookAll();
        }
      })();
    },

    view,

    /** Calls `listener` with the whole view each time it changes; returns the unsubscribe. */
    subscribe(listener: (view: BoardView) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    /** The load generator's latest window, shown beside the grid. */
    loadWindow(window: Window, rate: number): void {
      const all = Object.values(window.services);
      const requests = all.reduce((sum, s) => sum + s.requests, 0);
      const errors = all.reduce((sum, s) => sum + s.errors, 0);
      load = {
        rate,
        requests,
        errors,
        errorRate: requests > 0 ? errors / requests : 0,
        rps: Object.fromEntries(Object.entries(window.services).map(([k, s]) => [k, s.rps])),
        seconds: window.toSeconds - window.fromSeconds,
      };
      publish();
    },

    /**
     * Starts `fault` on the row named `rowName` and returns at once; the run shows in the view.
     * Throws UnknownFault for a row or fault the table does not have (or this target cannot
     * perform), Busy while another fault runs.
     */
    startFault(rowName: string, fault: string): { done: Promise<FaultRun> } {
      const row = SURVIVAL.find((r) => r.name === rowName);
      const rowView = views.get(rowName);
      const known = rowView?.faults.find((f) => f.fault === fault);
      if (!row || !rowView || !known) {
        throw new UnknownFault(`${rowName} has no fault "${fault}"`);
      }
      if (known.unsupported) throw new UnknownFault(known.unsupported);
      if (busy) throw new Busy(`"${busy.fault}" on ${busy.row} is still running`);
      busy = { row: rowName, fault: known.fault };
      const started = performance.now();
      const run: FaultRun = {
        fault: known.fault,
        state: 'running',
        step: 'starting',
        startedAt: new Date().toISOString(),
        expected: known.expected,
      };
      rowView.last = run;
      publish();
      const done = runFault(row, known.fault, run)
        .then(() => {
          run.state = 'done';
        })
        .catch((error: Error) => {
          run.state = 'failed';
          run.error = error.message.slice(0, 300);
        })
        .then(async () => {
          run.seconds = Math.round((performance.now() - started) / 100) / 10;
          run.step = run.state;
          busy = undefined;
          await lookAll();
          return run;
        });
      inFlight = done;
      return { done };
    },

    /** The cells observed so far, as the survival test prints them. */
    table: () => survivalTable(target, observed),

    /** Stops looking; a fault in flight runs to its end first. */
    async stop(): Promise<void> {
      stopped = true;
      await Promise.all([looping, inFlight]);
      listeners.clear();
    },
  };
}

export type Board = ReturnType<typeof createBoard>;
