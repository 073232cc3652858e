import { describe, expect, test } from 'vitest';
import { checkSelectorTargets, type LabelSelector, selectorMatches } from '../src/selectors.ts';
import { renderFixture } from './helpers.ts';

describe('selectorMatches', () => {
  const labels = { app: 'geo', tier: 'api' };

  test.each<[LabelSelector, boolean]>([
    [{}, true],
    [{ matchLabels: { app: 'geo' } }, true],
    [{ matchLabels: { app: 'geo', tier: 'web' } }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['api', 'web'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['api'] }] }, false],
    [{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, true],
    [{ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, true],
    [{ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, false],
    [{ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, true],
    [{ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false],
    [{ matchExpressions: [{ key: 'constructor', operator: 'Exists' }] }, false],
    [{ matchExpressions: [{ key: 'app', operator: 'Equals', values: ['geo'] }] }, false],
    [
      {
        matchLabels: { app: 'geo' },
        matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }],
      },
      false,
    ],
  ])('%j selects { app: geo, tier: api }: %s', (selector, selects) => {
    expect(selectorMatches(selector, labels)).toBe(selects);
  });
});

describe('selectors: what a Service or PodDisruptionBudget selects', () => {
  test('a Service whose selector matches no pod template fails', async () => {
    expect(checkSelectorTargets(await renderFixture('service-selects-nothing'))).toEqual([
      {
        check: 'selectors',
        object: 'Service/geo',
        path: 'spec.selector',
        message: 'selects no pod template in this overlay',
      },
    ]);
  });

  test('a PodDisruptionBudget whose selector matches no pod template fails', async () => {
    expect(checkSelectorTargets(await renderFixture('pdb-selects-nothing'))).toEqual([
      {
        check: 'selectors',
        object: 'PodDisruptionBudget/geo',
        path: 'spec.selector',
        message: 'selects no pod template in this overlay',
      },
    ]);
  });
});
