import { describe, expect, test } from 'vitest';
import { checkSchema } from '../src/schema.ts';
import { renderFixture } from './helpers.ts';

describe('schema', () => {
  test('replicas written as a word fails at spec.replicas', async () => {
    const violations = checkSchema(await renderFixture('replicas-as-string'));
    expect(violations).toEqual([
      {
        check: 'schema',
        object: 'Deployment/geo',
        path: 'spec.replicas',
        message: 'must be integer',
      },
    ]);
  });

  test('a kind it has no model for fails rather than being skipped', async () => {
    const violations = checkSchema(await renderFixture('unknown-kind'));
    expect(violations).toEqual([
      expect.objectContaining({
        object: 'Widget/gadget',
        message: expect.stringMatching(/unknown kind/),
      }),
    ]);
  });
});
