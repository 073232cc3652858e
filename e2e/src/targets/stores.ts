// Which backing store each stateful service has, by the name every target gives it: the compose
// service, the StatefulSet or Deployment and its pods' app.kubernetes.io/name label.
import type { StoreVariant } from './target.ts';

export interface StoreSpec {
  name: string;
  /** What kind of workload runs it on Kubernetes. */
  workload: 'statefulset' | 'deployment';
  /** The variants it can be set up as (Driver.useStoreVariant); one means no choice. */
  variants: readonly StoreVariant[];
}

const stores: Record<string, StoreSpec> = {
  transactions: { name: 'transactions-postgres', workload: 'statefulset', variants: ['base'] },
  basket: { name: 'basket-redis', workload: 'deployment', variants: ['base', 'persistent'] },
  'static-site': { name: 'static-site-s3', workload: 'statefulset', variants: ['base'] },
};

/** The store of `service`; a service without one is a mistake in the test, so it throws. */
export function storeSpecOf(service: string): StoreSpec {
  const store = stores[service];
  if (!store) throw new Error(`${service} has no store the e2e drivers know of`);
  return store;
}

export const storeOf = (service: string): string => storeSpecOf(service).name;

/** Throws unless `service`'s store can be set up as `variant`. */
export function checkVariant(service: string, variant: StoreVariant): StoreSpec {
  const store = storeSpecOf(service);
  if (!store.variants.includes(variant)) {
    throw new Error(`${store.name} (${service}) has no ${variant} variant`);
  }
  return store;
}
