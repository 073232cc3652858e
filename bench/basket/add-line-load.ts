// The load: POST /baskets/{id}/lines through autocannon, spread over fresh baskets so that no add is
// ever refused. Add number k of a window goes to basket k mod B and, as that basket's j-th add,
// to SKU j mod `lines`, quantity 1: every basket fills up to `lines` lines in its first adds and
// then only counts up, and no line reaches maxQuantity because each basket gets at most
// lines × maxQuantity adds (B is chosen for it). B is at least the connections, so the adds in
// flight at once go to different baskets, as many shoppers' would.
//
// A window is a number of requests, not seconds: autocannon then ends once every one is
// answered, so the 200s it counts are exactly the lines added, which the check afterwards holds
// the baskets to (a window cut off by a clock would leave some applied and unanswered).
import { performance, type RecordableHistogram } from 'node:perf_hooks';
import autocannon from 'autocannon';

export interface AddLineWindow {
  /** Adds answered 200. */
  added: number;
  /** Anything else: errors, timeouts and statuses other than 200. Should be 0. */
  failures: number;
  /** The statuses other than 200, and how many of each. */
  statuses: Record<number, number>;
  seconds: number;
}

export interface AddLineLoad {
  /** Where the adds go: the service or the baseline. */
  targetUrl: string;
  /** The service, which makes the baskets (POST /baskets) for either side and reads them back. */
  serviceUrl: string;
  connections: number;
  /** Distinct SKUs each basket ends up with; at most BASKET_MAX_LINES. */
  lines: number;
  /** BASKET_MAX_QUANTITY: a basket takes lines × maxQuantity adds before one would be a 422. */
  maxQuantity: number;
  unitPrice: number;
  currency: string;
}

/** `count` fresh baskets made by the service, a few at a time. */
export async function createBaskets(serviceUrl: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  const one = async () => {
    const response = await fetch(`${serviceUrl}/baskets`, { method: 'POST' });
    if (response.status !== 201) throw new Error(`POST /baskets answered ${response.status}`);
    ids.push(((await response.json()) as { id: string }).id);
  };
  for (let made = 0; made < count; made += 16) {
    await Promise.all(Array.from({ length: Math.min(16, count - made) }, one));
  }
  return ids;
}

/** Each basket as the service shows it: how many items it holds and in how many lines. */
export async function readBaskets(
  serviceUrl: string,
  ids: readonly string[],
): Promise<{ items: number; mostLines: number; versions: number }> {
  let items = 0;
  let mostLines = 0;
  let versions = 0;
  for (const id of ids) {
    const response = await fetch(`${serviceUrl}/baskets/${id}`);
    if (response.status !== 200) throw new Error(`GET /baskets/${id} answered ${response.status}`);
    const basket = (await response.json()) as {
      version: number;
      itemCount: number;
      lines: unknown[];
    };
    items += basket.itemCount;
    mostLines = Math.max(mostLines, basket.lines.length);
    // A new basket is at version 1, and every add that applied moved it on by one.
    versions += basket.version - 1;
  }
  return { items, mostLines, versions };
}

export async function deleteBaskets(serviceUrl: string, ids: readonly string[]): Promise<void> {
  for (const id of ids) await fetch(`${serviceUrl}/baskets/${id}`, { method: 'DELETE' });
}

export interface PreparedWindow {
  /** The fresh baskets this window adds to, for the check afterwards. */
  baskets: string[];
  /** Sends the window's adds; resolves once every one is answered. */
  run(latencyUs?: RecordableHistogram): Promise<AddLineWindow>;
}

/**
 * Windows of adds, each on baskets of its own. Making a window's baskets (the service's
 * POST /baskets) is a step of its own, so that it falls outside what is timed and outside the
 * CPU time read around `run`.
 */
export function addLineLoad(load: AddLineLoad) {
  const perBasket = load.lines * load.maxQuantity;

  return async function prepare(requests: number): Promise<PreparedWindow> {
    const amount = Math.max(requests, load.connections);
    // autocannon builds each connection's first request before it sends any, and may build one
    // more after a connection's last answer: slots for those, so no basket is overfilled.
    const slots = amount + 2 * load.connections;
    const baskets = await createBaskets(
      load.serviceUrl,
      Math.max(load.connections, Math.ceil(slots / perBasket)),
    );
    const body = (sku: number) =>
      JSON.stringify({
        sku: `bench-sku-${sku}`,
        quantity: 1,
        unitPrice: load.unitPrice,
        currency: load.currency,
      });

    async function run(latencyUs?: RecordableHistogram): Promise<AddLineWindow> {
      let next = 0;
      const started = performance.now();
      const instance = autocannon({
        url: load.targetUrl,
        connections: load.connections,
        pipelining: 1,
        amount,
        headers: { 'content-type': 'application/json' },
        requests: [
          {
            method: 'POST',
            setupRequest(request) {
              const k = next++;
              const basket = baskets[k % baskets.length];
              const add = Math.floor(k / baskets.length);
              return {
                ...request,
                path: `/baskets/${basket}/lines`,
                body: body(add % load.lines),
              };
            },
          },
        ],
      });
      let added = 0;
      const statuses: Record<number, number> = {};
      instance.on('response', (_client, status, _bytes, ms) => {
        if (status === 200) added += 1;
        else statuses[status] = (statuses[status] ?? 0) + 1;
        latencyUs?.record(Math.max(1, Math.round(ms * 1000)));
      });
      const result = await instance;
      const otherStatuses = Object.values(statuses).reduce((sum, n) => sum + n, 0);
      return {
        added,
        // autocannon counts a timeout among its errors too.
        failures: otherStatuses + result.errors,
        statuses,
        // Its own duration is rounded to 10 ms.
        seconds: (performance.now() - started) / 1000,
      };
    }

    return { baskets, run };
  };
}
