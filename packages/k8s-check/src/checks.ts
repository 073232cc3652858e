import { checkApiValidation } from './api-validation.ts';
import { budgetedOverlays, checkBudget, reservationText, totalText } from './budget.ts';
import {
  checkContract,
  overlayServices,
  quadrantContract,
  type ServiceContract,
  servicesToCheck,
} from './contract.ts';
import { type K8sObject, refOf, runsPods, type Violation } from './manifest.ts';
import { checkNamespaces, checkPodSecurity, checkProjectRules } from './pod-security.ts';
import { checkSchema } from './schema.ts';
import { checkSelectorTargets, targetSelectorOf } from './selectors.ts';

/** One check applied to one subject (an object, or a workload the contract expects). */
export interface Outcome {
  readonly check: string;
  readonly subject: string;
  readonly violations: readonly Violation[];
  /** What the check counted for this subject, printed beside it (the budget's figures). */
  readonly figures?: string;
}

/**
 * Every check on one rendered overlay. Each check lists what it looks at, so an object that
 * passes shows up as passing, not as absent.
 */
export function checkOverlay(overlay: string, objects: readonly K8sObject[]): Outcome[] {
  const workloads = objects.filter(runsPods);
  const expected = overlayServices[overlay];
  const contract: Readonly<Record<string, ServiceContract>> = quadrantContract;
  const contractSubjects = servicesToCheck(objects, expected ?? []).flatMap((name) =>
    (contract[name]?.workloads ?? []).map((w) => `${w.kind}/${w.name}`),
  );
  const runs: [check: string, subjects: string[], violations: Violation[]][] = [
    ['schema', objects.map(refOf), checkSchema(objects)],
    [
      'api',
      objects.filter((o) => runsPods(o) || o.kind === 'Service').map(refOf),
      checkApiValidation(objects),
    ],
    ['pod-security', workloads.map(refOf), checkPodSecurity(objects)],
    ['project', workloads.map(refOf), checkProjectRules(objects)],
    [
      'namespace',
      objects.filter((o) => o.kind === 'Namespace' || runsPods(o)).map(refOf),
      checkNamespaces(objects),
    ],
    [
      'selectors',
      objects.filter((o) => targetSelectorOf(o) !== undefined).map(refOf),
      checkSelectorTargets(objects),
    ],
    ['contract', contractSubjects, checkContract(objects, expected ?? [])],
  ];
  if (expected === undefined) {
    runs.push([
      'contract',
      [],
      [
        {
          check: 'contract',
          object: `overlay/${overlay}`,
          path: '',
          message: 'lists no services: add it to overlayServices in contract.ts',
        },
      ],
    ]);
  }
  const outcomes = runs.flatMap(([check, subjects, violations]) => {
    // A violation about something not in the subject list (an unexpected workload) still counts.
    const all = [...new Set([...subjects, ...violations.map((v) => v.object)])];
    return all.map((subject) => ({
      check,
      subject,
      violations: violations.filter((v) => v.object === subject),
    }));
  });
  return budgetedOverlays.has(overlay) ? [...outcomes, ...budgetOutcomes(objects)] : outcomes;
}

/** A line per thing that reserves requests, with its figures, then the total against the budget. */
function budgetOutcomes(objects: readonly K8sObject[]): Outcome[] {
  const { reservations, total, violations } = checkBudget(objects);
  const of = (subject: string) => violations.filter((v) => v.object === subject);
  const counted = new Set(reservations.map((r) => r.subject));
  return [
    ...reservations.map((r) => ({
      check: 'budget',
      subject: r.subject,
      violations: of(r.subject),
      figures: reservationText(r),
    })),
    // What could not be counted at all (a DaemonSet, a Gateway whose proxy is unknown).
    ...[...new Set(violations.map((v) => v.object))]
      .filter((subject) => subject !== 'total' && !counted.has(subject))
      .map((subject) => ({ check: 'budget', subject, violations: of(subject) })),
    { check: 'budget', subject: 'total', violations: of('total'), figures: totalText(total) },
  ];
}
