import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import type { K8sObject } from '../src/manifest.ts';
import { checkSchema, schemaKubernetesVersion } from '../src/schema.ts';
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

describe('schema: unknown fields fail, as strict field validation rejects them', () => {
  test.each([
    {
      fixture: 'misspelt-image-pull-policy',
      object: 'Deployment/geo',
      path: 'spec.template.spec.containers[0].imagePullPolicyy',
      message:
        'unknown field "imagePullPolicyy" (Kubernetes 1.36 has no such field in Container): did you mean imagePullPolicy?',
    },
    {
      fixture: 'misspelt-replicas',
      object: 'Deployment/geo',
      path: 'spec.replica',
      message:
        'unknown field "replica" (Kubernetes 1.36 has no such field in DeploymentSpec): did you mean replicas?',
    },
    {
      fixture: 'misspelt-probe-period',
      object: 'Deployment/geo',
      path: 'spec.template.spec.containers[0].livenessProbe.periodSecond',
      message:
        'unknown field "periodSecond" (Kubernetes 1.36 has no such field in Probe): did you mean periodSeconds?',
    },
    {
      fixture: 'misspelt-hpa-target',
      object: 'HorizontalPodAutoscaler/geo',
      path: 'spec.metrics[0].resource.target.averageUtilisation',
      message:
        'unknown field "averageUtilisation" (Kubernetes 1.36 has no such field in MetricTarget): did you mean averageUtilization?',
    },
  ])('$fixture fails at $path, naming the field it meant', async ({ fixture, ...violation }) => {
    expect(checkSchema(await renderFixture(fixture))).toEqual([{ check: 'schema', ...violation }]);
  });

  test('a field close to no known one gets no suggestion', () => {
    expect(checkSchema([aConfigMap({ colour: 'red' })])).toEqual([
      {
        check: 'schema',
        object: 'ConfigMap/settings',
        path: 'colour',
        message: 'unknown field "colour" (Kubernetes 1.36 has no such field in ConfigMap)',
      },
    ]);
  });

  test('free-form fields keep any keys: labels, annotations, ConfigMap data', () => {
    const configMap = aConfigMap({
      metadata: {
        name: 'settings',
        labels: { 'example.com/team': 'maps' },
        annotations: { 'any.thing/at-all': 'yes' },
      },
      data: { 'settings.json': '{}' },
    });
    expect(checkSchema([configMap])).toEqual([]);
  });
});

describe(`the schema is Kubernetes ${schemaKubernetesVersion}`, () => {
  test("client-node's models say they were generated from that release's OpenAPI spec", async () => {
    const model = createRequire(import.meta.url).resolve(
      '@kubernetes/client-node/dist/gen/models/V1PodSpec.js',
    );
    expect(await readFile(model, 'utf8')).toContain(
      ` * OpenAPI spec version: release-${schemaKubernetesVersion}\n`,
    );
  });

  // kubernetes-models reports a wrong type only for a field it knows; client-node reports an
  // unknown field only for one it does not. spec.schedulingGroup is new in 1.36, where it
  // replaced 1.35's spec.workloadRef.
  test('both packages know spec.schedulingGroup, new in 1.36', () => {
    expect(checkSchema([aPod({ schedulingGroup: 'workers' })])).toEqual([
      expect.objectContaining({ path: 'spec.schedulingGroup', message: 'must be object' }),
    ]);
  });

  test('neither knows spec.workloadRef, which 1.36 removed', () => {
    expect(checkSchema([aPod({ workloadRef: 'workers' })])).toEqual([
      expect.objectContaining({
        path: 'spec.workloadRef',
        message: expect.stringMatching(/^unknown field "workloadRef"/),
      }),
    ]);
  });
});

function aConfigMap(fields: Record<string, unknown>): K8sObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, ...fields };
}

/** A Pod with one container and these extra pod spec fields. */
function aPod(podSpec: Record<string, unknown>): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'worker' },
    spec: { containers: [{ name: 'worker', image: 'quadrants/geo:dev' }], ...podSpec },
  };
}
