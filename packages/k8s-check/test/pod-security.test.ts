import { describe, expect, test } from 'vitest';
import type { Violation } from '../src/manifest.ts';
import { checkNamespaces, checkPodSecurity, checkProjectRules } from '../src/pod-security.ts';
import { renderFixture } from './helpers.ts';

const pod = 'spec.template.spec';
const container = `${pod}.containers[0]`;
const pathsOf = (violations: Violation[]) => violations.map((v) => v.path).sort();

describe('Pod Security "restricted"', () => {
  test('a pod that may run as root fails on runAsNonRoot and runAsUser', async () => {
    const violations = checkPodSecurity(await renderFixture('run-as-root'));
    expect(violations.every((v) => v.object === 'Deployment/geo')).toBe(true);
    expect(pathsOf(violations)).toEqual([
      `${container}.securityContext.runAsNonRoot`,
      `${pod}.securityContext.runAsUser`,
    ]);
  });

  test('a privileged pod fails on each of its privileges', async () => {
    const violations = checkPodSecurity(await renderFixture('privileged'));
    expect(pathsOf(violations)).toEqual([
      `${container}.securityContext.capabilities.add[0]`,
      `${container}.securityContext.privileged`,
      `${pod}.hostNetwork`,
      `${pod}.volumes[0].hostPath`,
    ]);
  });

  test('a probe or lifecycle hook aimed at another host fails (baseline since 1.34)', async () => {
    const violations = checkPodSecurity(await renderFixture('host-probe'));
    expect(violations).toEqual(
      [
        `${container}.livenessProbe.httpGet.host`,
        `${container}.lifecycle.preStop.httpGet.host`,
      ].map((path) => ({
        check: 'pod-security',
        object: 'Deployment/geo',
        path,
        message: 'must not be set: a probe or hook may only reach its own pod',
      })),
    );
  });

  test('a container unconfined by the AppArmor annotation fails, as by the field', async () => {
    const violations = checkPodSecurity(await renderFixture('apparmor-unconfined-annotation'));
    expect(violations).toEqual([
      {
        check: 'pod-security',
        object: 'Deployment/geo',
        path: 'spec.template.metadata.annotations.container.apparmor.security.beta.kubernetes.io/geo',
        message: 'must be runtime/default or localhost/<profile>',
      },
    ]);
  });

  test('an OCI image volume passes, as the admission code allows it since 1.33', async () => {
    expect(checkPodSecurity(await renderFixture('image-volume'))).toEqual([]);
  });
});

describe('project rules', () => {
  test('a writable root, no memory limit and no probes each fail', async () => {
    const violations = checkProjectRules(await renderFixture('unhardened'));
    expect(pathsOf(violations)).toEqual([
      `${container}.livenessProbe`,
      `${container}.readinessProbe`,
      `${container}.resources.limits.memory`,
      `${container}.securityContext.readOnlyRootFilesystem`,
      `${container}.startupProbe`,
    ]);
  });

  test("a readiness check allowed as long as the probe's timeout fails", async () => {
    const violations = checkProjectRules(await renderFixture('slow-readiness'));
    expect(pathsOf(violations)).toEqual([`${container}.env.READINESS_TIMEOUT_MS`]);
    expect(violations[0]?.message).toMatch(
      /below the readiness probe's timeoutSeconds \(1000 ms\)/,
    );
  });

  test('the restricted fixtures do not trip the project rules, so each check fails alone', async () => {
    expect(checkProjectRules(await renderFixture('run-as-root'))).toEqual([]);
    expect(checkPodSecurity(await renderFixture('unhardened'))).toEqual([]);
  });
});

describe('namespace', () => {
  test('a namespace enforcing only baseline fails, and so do the pods placed in it', async () => {
    const violations = checkNamespaces(await renderFixture('namespace-baseline'));
    expect(violations.map((v) => v.object)).toEqual([
      'Namespace/quadrants',
      'Deployment/basket',
      'Deployment/basket-redis',
      'Deployment/geo',
      'Deployment/static-site',
      'Deployment/transactions',
      'Deployment/uploads',
      'StatefulSet/static-site-s3',
      'StatefulSet/transactions-postgres',
      'Job/static-site-seed',
      'Job/transactions-migrate',
      'Job/transactions-seed-shop',
    ]);
    expect(violations[0]?.path).toBe('metadata.labels.pod-security.kubernetes.io/enforce');
  });

  test('a namespace that enforces restricted but does not warn at that level fails', async () => {
    const violations = checkNamespaces(await renderFixture('namespace-without-warn'));
    expect(violations).toEqual([
      {
        check: 'namespace',
        object: 'Namespace/quadrants',
        path: 'metadata.labels.pod-security.kubernetes.io/warn',
        message: expect.stringMatching(/^must be restricted, as enforce is: .*dry run/),
      },
    ]);
  });
});
