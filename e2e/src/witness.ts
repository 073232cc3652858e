// What each quadrant is asked to keep: a witness writes a little data of its own through the
// service (transfers, uploads, baskets; for static-site and geo, what they answer now) and later
// says whether it is still all there. The survival test (test/survival.e2e.test.ts) asserts the
// cell a witness observes after each fault; the dashboard (apps/dashboard) shows its figure live.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { s3ClientConfig } from '../../scripts/embedded-s3.ts';
import type { Cell, SurvivalRow } from './survival.ts';
import type { Driver } from './targets/index.ts';
import { until } from './wait.ts';

/** What a witness found: the table's cell, and a figure a person reads ("5 of 5 transfers"). */
export interface Observation {
  /** `kept`, `lost`, or anything else (a partial loss, a changed answer) as its own words. */
  cell: Cell | string;
  figure: string;
  /** How many of the witnessed things are there, of how many written (geo and site: 1 of 1). */
  kept: number;
  of: number;
}

export interface Witness {
  /**
   * transactions only: one transfer more, sent as a fault begins and retried with the same
   * Idempotency-Key until it is answered; `check` then expects it exactly once.
   */
  during?(): Promise<void>;
  check(url: string): Promise<Observation>;
}

export type Service = SurvivalRow['service'];

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const call = (url: string, init: RequestInit = {}) =>
  fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
async function json<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await call(url, init);
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
const post = (body: unknown, key = randomUUID()): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', 'idempotency-key': key },
  body: JSON.stringify(body),
});
const cellOf = (kept: number, of: number, partial: string): Cell | string =>
  kept === of ? 'kept' : kept === 0 ? 'lost' : partial;

const euros = (cents: number) => (cents / 100).toFixed(2);

/** Two accounts of 100.00 EUR and five transfers between them, all made through `url`. */
async function transactions(url: string, driver: Driver): Promise<Witness> {
  const open = (owner: string) =>
    json<{ id: string }>(
      `${url}/accounts`,
      post({ owner, currency: 'EUR', openingBalance: 10_000 }),
    );
  const [from, to] = [await open('witness from'), await open('witness to')];
  const made: string[] = [];
  for (let amount = 1; amount <= 5; amount++) {
    const body = { fromAccountId: from.id, toAccountId: to.id, amount };
    made.push((await json<{ id: string }>(`${url}/transfers`, post(body))).id);
  }
  const key = randomUUID();
  const retriedBody = { fromAccountId: from.id, toAccountId: to.id, amount: 100 };
  let retried: string | undefined;
  let sendTo = url;
  return {
    async during() {
      retried = await until(
        'the retried transfer',
        async () => {
          const res = await call(`${sendTo}/transfers`, post(retriedBody, key)).catch(
            async (error) => {
              // Sent to a replica that is gone: ask the balancer again (once it has them all).
              sendTo = await driver.balancedUrl('transactions');
              throw error;
            },
          );
          if (res.status === 201) return ((await res.json()) as { id: string }).id;
          // Not yet: thrown, so that a timeout names the last answer.
          throw new Error(`POST /transfers answered ${res.status}: ${await res.text()}`);
        },
        { timeoutMs: 240_000, intervalMs: 500 },
      );
    },
    async check(after) {
      const expected = retried ? [...made, retried] : made;
      const page = await json<{ transfers: { id: string }[] }>(
        `${after}/transfers?accountId=${from.id}&limit=50`,
      );
      const ids = page.transfers.map((t) => t.id);
      const a = await json<{ balance: number }>(`${after}/accounts/${from.id}`);
      const b = await json<{ balance: number }>(`${after}/accounts/${to.id}`);
      const sent = retried ? 115 : 15;
      const kept = expected.filter((id) => ids.includes(id)).length;
      const exactlyOnce =
        JSON.stringify([...ids].sort()) === JSON.stringify([...expected].sort()) &&
        a.balance === 10_000 - sent &&
        a.balance + b.balance === 20_000;
      const figure =
        `${ids.length} of ${expected.length} transfers, ` +
        `${euros(a.balance + b.balance)} of ${euros(20_000)} EUR`;
      const cell = exactlyOnce
        ? 'kept'
        : ids.length === 0
          ? 'lost'
          : `changed: ${ids.length} transfers, ${a.balance}+${b.balance}`;
      return { cell, figure, kept, of: expected.length };
    },
  };
}

/** Three text files of 64 KiB each (uploads accepts text), unique to this witness. */
async function uploads(url: string): Promise<Witness> {
  const files = [1, 2, 3].map(() => Buffer.from(randomBytes(32 * 1024).toString('hex')));
  for (const bytes of files) {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)], { type: 'text/plain' }), 'witness.txt');
    const res = await call(`${url}/uploads`, { method: 'POST', body: form });
    if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
  }
  const total = files.reduce((sum, bytes) => sum + bytes.length, 0);
  return {
    async check(after) {
      let kept = 0;
      let bytesKept = 0;
      for (const bytes of files) {
        const res = await call(`${after}/uploads/${sha256(bytes)}`);
        if (res.ok && Buffer.from(await res.arrayBuffer()).equals(bytes)) {
          kept++;
          bytesKept += bytes.length;
        }
      }
      const figure = `${kept} of 3 files, ${bytesKept / 1024} of ${total / 1024} KiB byte for byte`;
      return { cell: cellOf(kept, 3, `${kept} of 3`), figure, kept, of: 3 };
    },
  };
}

/** Nothing written: the site served must equal the bucket's copy, whatever happened. */
async function staticSite(_url: string, driver: Driver): Promise<Witness> {
  return {
    async check(after) {
      const access = await driver.objectStore('static-site');
      const s3 = new S3Client({ ...s3ClientConfig(access), maxAttempts: 3 });
      try {
        const object = await s3.send(
          new GetObjectCommand({ Bucket: access.bucket, Key: `${access.prefix}index.html` }),
        );
        const inBucket = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
        const version = sha256(inBucket).slice(0, 8);
        const served = await call(`${after}/index.html`, {
          headers: { 'accept-encoding': 'identity' },
        });
        if (!served.ok) {
          const figure = `site ${version} in the bucket; served: ${served.status}`;
          return { cell: 'lost', figure, kept: 0, of: 1 };
        }
        const same = Buffer.from(await served.arrayBuffer()).equals(inBucket);
        const figure = same
          ? `site ${version}, the bucket's`
          : `site differs from the bucket's ${version}`;
        return { cell: same ? 'kept' : 'differs', figure, kept: same ? 1 : 0, of: 1 };
      } finally {
        s3.destroy();
      }
    },
  };
}

/** One conversion's answer now, to be answered the same later: geo keeps nothing else. */
async function geo(url: string): Promise<Witness> {
  const path = '/convert?from=latlon&lat=52.2297&lon=21.0122&to=mgrs,utm';
  const before = JSON.stringify(await json<unknown>(`${url}${path}`));
  return {
    async check(after) {
      const same = JSON.stringify(await json<unknown>(`${after}${path}`)) === before;
      const figure = same ? 'the same answer as before' : 'a different answer';
      return { cell: same ? 'kept' : 'differs', figure, kept: same ? 1 : 0, of: 1 };
    },
  };
}

/** Three baskets of two mugs each. */
async function basket(url: string): Promise<Witness> {
  const ids: string[] = [];
  for (let n = 0; n < 3; n++) {
    const { id } = await json<{ id: string }>(`${url}/baskets`, { method: 'POST' });
    await json(
      `${url}/baskets/${id}/lines`,
      post({ sku: 'MUG-BLUE', quantity: 2, unitPrice: 1250, currency: 'EUR' }),
    );
    ids.push(id);
  }
  return {
    async check(after) {
      let kept = 0;
      const odd: string[] = [];
      for (const id of ids) {
        const res = await call(`${after}/baskets/${id}`);
        if (res.status === 404) continue;
        const body = (await res.json()) as { itemCount?: number };
        if (res.ok && body.itemCount === 2) kept++;
        else odd.push(`answered ${res.status}`);
      }
      const figure = `${kept} of ${ids.length} baskets`;
      const cell = odd.length > 0 ? odd.join(', ') : cellOf(kept, ids.length, `${kept} of 3`);
      return { cell, figure, kept, of: ids.length };
    },
  };
}

const writers: Record<Service, (url: string, driver: Driver) => Promise<Witness>> = {
  transactions,
  uploads,
  'static-site': staticSite,
  geo,
  basket,
};

/** Writes `service`'s witness through `url` (where users reach it: the balanced entry). */
export function writeWitness(service: Service, url: string, driver: Driver): Promise<Witness> {
  return writers[service](url, driver);
}

/**
 * What `witness` finds at `url` once a fault is over: a few tries until it is `expected`, since
 * ready is not yet reachable through every hop, then the last look as the verdict.
 */
export function verdict(witness: Witness, url: string, expected: Cell): Promise<Observation> {
  return until(
    `the witness to find "${expected}"`,
    async () => {
      const seen = await witness.check(url);
      return seen.cell === expected ? seen : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 1_000 },
  ).catch(() => witness.check(url));
}
