// Which backing store each stateful service has, by the name every target gives it: the compose
// service, the StatefulSet and its pods' app.kubernetes.io/name label.
const stores: Record<string, string> = {
  transactions: 'transactions-postgres',
};

/** The store of `service`; a service without one is a mistake in the test, so it throws. */
export function storeOf(service: string): string {
  const store = stores[service];
  if (!store) throw new Error(`${service} has no store the e2e drivers know of`);
  return store;
}
