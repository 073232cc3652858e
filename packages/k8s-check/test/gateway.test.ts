// The one origin on kind: k8s check knows the Gateway API's kinds, and refuses an HTTPRoute
// that would break it.
import { describe, expect, test } from 'vitest';
import type { K8sObject } from '../src/manifest.ts';
import { checkSchema } from '../src/schema.ts';
import { renderRealOverlay } from './helpers.ts';

/** The kind overlay with `change` made to a copy of its HTTPRoute `name`. */
// biome-ignore lint/suspicious/noExplicitAny: a test reaches into one route to break it
async function withRoute(name: string, change: (route: any) => void): Promise<K8sObject[]> {
  const objects = structuredClone(await renderRealOverlay('kind'));
  const route = objects.find((o) => o.kind === 'HTTPRoute' && o.metadata.name === name);
  change(route);
  return objects;
}

describe('the one origin on kind', () => {
  test('the overlay passes: a route per service and one for static-site', async () => {
    const objects = await renderRealOverlay('kind');
    const routes = objects.filter((o) => o.kind === 'HTTPRoute').map((o) => o.metadata.name);
    expect(routes.sort()).toEqual(['basket', 'geo', 'static-site', 'transactions', 'uploads']);
    expect(checkSchema(objects)).toEqual([]);
  });

  test('a backendRef to a Service the render lacks fails', async () => {
    const objects = await withRoute('geo', (route) => {
      route.spec.rules[0].backendRefs[0].name = 'geography';
    });
    expect(checkSchema(objects)).toMatchObject([
      { object: 'HTTPRoute/geo', path: 'spec.rules[0].backendRefs[0].name' },
    ]);
  });

  test('a route under /api/<service> without X-Forwarded-Prefix fails', async () => {
    const objects = await withRoute('basket', (route) => {
      route.spec.rules[0].filters = route.spec.rules[0].filters.filter(
        (f: { type: string }) => f.type !== 'RequestHeaderModifier',
      );
    });
    expect(checkSchema(objects)).toMatchObject([
      { object: 'HTTPRoute/basket', message: expect.stringContaining('X-Forwarded-Prefix') },
    ]);
  });

  test('a route that keeps the prefix fails', async () => {
    const objects = await withRoute('uploads', (route) => {
      route.spec.rules[0].filters = route.spec.rules[0].filters.filter(
        (f: { type: string }) => f.type !== 'URLRewrite',
      );
    });
    expect(checkSchema(objects)).toMatchObject([
      { object: 'HTTPRoute/uploads', message: expect.stringContaining('ReplacePrefixMatch') },
    ]);
  });
});
