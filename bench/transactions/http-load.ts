// The HTTP side: POST /transfers through autocannon, each request with a fresh Idempotency-Key
// and two random accounts. A window is a number of requests, not seconds: autocannon then ends
// once every one of them is answered, so the 201s it counts are exactly the transfers that the
// service committed (a window cut off by a clock would leave some committed and unanswered).
import { performance, type RecordableHistogram } from 'node:perf_hooks';
import autocannon from 'autocannon';

export interface HttpWindow {
  /** Transfers answered 201. */
  created: number;
  /** Anything else: errors, timeouts and statuses other than 201. Should be 0. */
  failures: number;
  seconds: number;
}

export interface TransferLoad {
  baseUrl: string;
  connections: number;
  /** Account ids; account k (1-based) is accountIds[k - 1]. */
  accountIds: readonly string[];
  maxAmount: number;
  /** Keys are `${keyPrefix}${n}`: unique in the run, and told apart from pgbench's. */
  keyPrefix: string;
}

/** A load that makes `requests` transfers at a time; the key counter runs on across windows. */
export function transferLoad(load: TransferLoad) {
  let sent = 0;
  const { accountIds } = load;
  const pick = () => Math.floor(Math.random() * accountIds.length);

  return async function run(
    requests: number,
    latencyUs?: RecordableHistogram,
  ): Promise<HttpWindow> {
    const started = performance.now();
    const instance = autocannon({
      url: load.baseUrl,
      connections: load.connections,
      pipelining: 1,
      amount: Math.max(requests, load.connections),
      headers: { 'content-type': 'application/json' },
      requests: [
        {
          method: 'POST',
          path: '/transfers',
          setupRequest(request) {
            const from = pick();
            // Any other account, each equally likely (as pgbench draws them).
            const to =
              (from + 1 + Math.floor(Math.random() * (accountIds.length - 1))) % accountIds.length;
            sent += 1;
            return {
              ...request,
              headers: { ...request.headers, 'idempotency-key': `${load.keyPrefix}${sent}` },
              body: JSON.stringify({
                fromAccountId: accountIds[from],
                toAccountId: accountIds[to],
                amount: 1 + Math.floor(Math.random() * load.maxAmount),
                reference: 'bench',
              }),
            };
          },
        },
      ],
    });
    let created = 0;
    let otherStatuses = 0;
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status === 201) created += 1;
      else otherStatuses += 1;
      latencyUs?.record(Math.max(1, Math.round(ms * 1000)));
    });
    const result = await instance;
    return {
      created,
      // autocannon counts a timeout among its errors too.
      failures: otherStatuses + result.errors,
      // Its own duration is rounded to 10 ms.
      seconds: (performance.now() - started) / 1000,
    } satisfies HttpWindow;
  };
}
