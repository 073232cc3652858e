import { describe, expect, test } from 'vitest';
import { checkApiValidation } from '../src/api-validation.ts';
import type { K8sObject } from '../src/manifest.ts';
import { renderFixture } from './helpers.ts';

const container = 'spec.template.spec.containers[0]';

describe("api: what the API server's validation rejects beyond the schema", () => {
  test.each([
    {
      fixture: 'container-without-image',
      object: 'Deployment/geo',
      path: `${container}.image`,
      message: 'must be set: every container needs an image',
    },
    {
      fixture: 'selector-mismatch',
      object: 'Deployment/geo',
      path: 'spec.selector',
      message: "does not match the pod template's labels (spec.template.metadata.labels)",
    },
    {
      fixture: 'empty-selector',
      object: 'Deployment/geo',
      path: 'spec.selector',
      message: 'must not be empty: a Deployment selects its pods by label',
    },
    {
      fixture: 'port-name-too-long',
      object: 'Deployment/geo',
      path: `${container}.ports[0].name`,
      message:
        '"http-for-the-api" is not a valid port name (IANA_SVC_NAME): must be no more than 15 characters',
    },
    {
      fixture: 'probe-port-number-as-name',
      object: 'Deployment/geo',
      path: `${container}.livenessProbe.httpGet.port`,
      message: '"8080" is not a valid port name (IANA_SVC_NAME): must contain at least one letter',
    },
    {
      fixture: 'target-port-name-invalid',
      object: 'Service/geo',
      path: 'spec.ports[0].targetPort',
      message:
        '"http_api" is not a valid port name (IANA_SVC_NAME): must contain only lowercase letters, digits and hyphens',
    },
    {
      fixture: 'service-port-name-uppercase',
      object: 'Service/geo',
      path: 'spec.ports[0].name',
      message:
        '"HTTP" is not a DNS label: at most 63 lowercase letters, digits and \'-\', starting and ending with a letter or digit',
    },
  ])('$fixture fails at $object $path', async ({ fixture, ...violation }) => {
    expect(checkApiValidation(await renderFixture(fixture))).toEqual([
      { check: 'api', ...violation },
    ]);
  });

  test('requests above their limits fail for cpu and memory, whatever the units', async () => {
    expect(checkApiValidation(await renderFixture('requests-above-limits'))).toEqual([
      {
        check: 'api',
        object: 'Deployment/geo',
        path: `${container}.resources.requests.cpu`,
        message: 'is 1500m, above the cpu limit of 1',
      },
      {
        check: 'api',
        object: 'Deployment/geo',
        path: `${container}.resources.requests.memory`,
        message: 'is 0.3Gi, above the memory limit of 256Mi',
      },
    ]);
  });

  test('a port name breaking several rules is told all of them', () => {
    const pod: K8sObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'worker' },
      spec: {
        containers: [{ name: 'worker', image: 'worker:1', ports: [{ name: '-9--' }] }],
      },
    };
    expect(checkApiValidation([pod])).toEqual([
      expect.objectContaining({
        path: 'spec.containers[0].ports[0].name',
        message:
          '"-9--" is not a valid port name (IANA_SVC_NAME): must contain at least one letter, ' +
          'must not contain consecutive hyphens, must not begin or end with a hyphen',
      }),
    ]);
  });

  test('an empty selector fails only the apps kinds: a Job may have one', () => {
    const job: K8sObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'migrate' },
      spec: {
        selector: {},
        template: { spec: { containers: [{ name: 'migrate', image: 'migrate:1' }] } },
      },
    };
    expect(checkApiValidation([job])).toEqual([]);
  });
});
