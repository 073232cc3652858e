import type { IDeploymentSpec } from 'kubernetes-models/apps/v1';
import {
  isRecord,
  type K8sObject,
  podTemplateOf,
  refOf,
  type Violation,
  valueAt,
} from './manifest.ts';

export type LabelSelector = IDeploymentSpec['selector'];

/**
 * Whether a label selector selects an object with these labels, as the API server decides it:
 * every matchLabels pair and every matchExpressions requirement must hold. An empty selector
 * selects everything.
 */
export function selectorMatches(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>>,
): boolean {
  const labelOf = (key: string) => (Object.hasOwn(labels, key) ? labels[key] : undefined);
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(
    ([key, value]) => labelOf(key) === value,
  );
  return (
    byLabels &&
    (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      const value = labelOf(key);
      switch (operator) {
        case 'In':
          return value !== undefined && values.includes(value);
        case 'NotIn':
          return value === undefined || !values.includes(value);
        case 'Exists':
          return value !== undefined;
        case 'DoesNotExist':
          return value === undefined;
        default:
          return false;
      }
    })
  );
}

/**
 * The pods a Service sends traffic to or a PodDisruptionBudget protects, as a label selector;
 * undefined for other kinds, and for a Service without one (its endpoints are managed by hand).
 */
export function targetSelectorOf(object: K8sObject): LabelSelector | undefined {
  const selector = valueAt(object, 'spec.selector');
  if (!isRecord(selector)) return undefined;
  if (object.kind === 'Service') {
    return Object.keys(selector).length > 0
      ? { matchLabels: selector as Record<string, string> }
      : undefined;
  }
  return object.kind === 'PodDisruptionBudget' ? (selector as LabelSelector) : undefined;
}

/**
 * Every Service and PodDisruptionBudget selects at least one pod template in its namespace. The
 * API server accepts one that selects nothing; it then routes to no pod, or protects none.
 */
export function checkSelectorTargets(objects: readonly K8sObject[]): Violation[] {
  const pods = objects.flatMap((object) => {
    const template = podTemplateOf(object);
    return template === undefined
      ? []
      : [{ namespace: object.metadata.namespace, labels: template.metadata.labels ?? {} }];
  });
  return objects.flatMap((object) => {
    const selector = targetSelectorOf(object);
    if (selector === undefined) return [];
    const selectsAPod = pods.some(
      (pod) => pod.namespace === object.metadata.namespace && selectorMatches(selector, pod.labels),
    );
    return selectsAPod
      ? []
      : [
          {
            check: 'selectors',
            object: refOf(object),
            path: 'spec.selector',
            message: 'selects no pod template in this overlay',
          },
        ];
  });
}
