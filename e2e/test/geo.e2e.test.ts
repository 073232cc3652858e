import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { type Driver, type Replica, selectTarget } from '../src/targets/index.ts';

// Points chosen to cross the interesting places: the equator and prime meridian, both
// hemispheres, the antimeridian, the Norway and Svalbard zone exceptions, and the polar caps.
const points = [
  [0, 0],
  [52.2297, 21.0122],
  [-33.8688, 151.2093],
  [40.446, -79.982],
  [-0.0001, 179.9999],
  [61, 4.5],
  [78.2232, 15.6267],
  [-80.5, -45],
  [89.9, 10],
  [-89.99, 120],
] as const;

const query = ([lat, lon]: readonly [number, number]) =>
  `/convert?from=latlon&lat=${lat}&lon=${lon}&mgrsPrecision=5`;

let driver: Driver;
beforeAll(() => {
  driver = selectTarget().driver(inject('targetState'));
});
afterAll(() => driver.close());

async function answer(url: string, path: string) {
  const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(5_000) });
  expect(response.status).toBe(200);
  return (await response.json()) as { mgrs: string; utm: { zone: number } };
}

const answersFrom = (url: string) => Promise.all(points.map((point) => answer(url, query(point))));

describe(`geo on the ${inject('target')} target`, () => {
  test('converts through its public endpoint', async () => {
    const url = await driver.entryUrl('geo');
    const pittsburgh = await answer(url, query([40.446, -79.982]));
    expect(pittsburgh.mgrs).toBe('17TNE8632877758');
    const pole = await answer(url, query([89.9, 10]));
    expect(pole.utm.zone).toBe(0);

    const invalid = await fetch(`${url}/convert?from=latlon&lat=91&lon=0`);
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  test('every replica gives the same answer to every question', async () => {
    const replicas = await driver.waitForReplicas('geo');
    expect(replicas.length).toBeGreaterThanOrEqual(2);
    for (const point of points) {
      const answers = await Promise.all(replicas.map((r) => answer(r.url, query(point))));
      for (const other of answers.slice(1)) expect(other).toEqual(answers[0]);
    }
  });

  test('a replica killed mid-run changes no answer', async () => {
    const [victim, survivor] = await driver.waitForReplicas('geo');
    if (!victim || !survivor) throw new Error('geo needs two replicas for this test');
    const expected = await Promise.all(points.map((point) => answer(survivor.url, query(point))));

    // Like a Service would, a request that cannot reach one replica goes to the next.
    let failovers = 0;
    async function ask(order: Replica[], path: string) {
      for (const replica of order) {
        try {
          return await answer(replica.url, path);
        } catch (error) {
          if (!(error instanceof TypeError || (error as Error).name === 'TimeoutError'))
            throw error;
          failovers++;
        }
      }
      throw new Error('no replica answered');
    }

    let killing: Promise<void> | undefined;
    let asked = 0;
    const deadline = Date.now() + 90_000;
    // Bounded: at most 5,000 requests or 90 s, and done once the kill has shown in the traffic.
    while (asked < 5_000 && Date.now() < deadline && (asked < 100 || failovers === 0)) {
      if (asked === 50) killing = driver.killReplica('geo', victim);
      const index = asked % points.length;
      const point = points[index] ?? points[0];
      const order = asked % 2 === 0 ? [victim, survivor] : [survivor, victim];
      expect(await ask(order, query(point))).toEqual(expected[index]);
      asked++;
    }
    await killing;
    expect(failovers).toBeGreaterThan(0);

    const healed = await driver.waitForReplicas('geo');
    expect(healed.length).toBeGreaterThanOrEqual(2);
    for (const replica of healed) {
      expect(await answer(replica.url, query(points[1]))).toEqual(expected[1]);
    }
  });

  test('scaling to zero and back loses nothing', async () => {
    const [before] = await driver.waitForReplicas('geo');
    if (!before) throw new Error('geo has no replica');
    const expected = await answersFrom(before.url);

    await driver.scale('geo', 0);
    try {
      expect(await driver.replicas('geo')).toEqual([]);
      await expect(fetch(`${before.url}/healthz`)).rejects.toThrow();
    } finally {
      // Back to full strength even when an assertion failed, so no other test starts at zero.
      await driver.scale('geo', 2);
    }
    // At least 2: on kind the HPA owns the count again once it is above zero.
    const after = await driver.waitForReplicas('geo');
    expect(after.length).toBeGreaterThanOrEqual(2);
    for (const replica of after) expect(await answersFrom(replica.url)).toEqual(expected);
  });
});
