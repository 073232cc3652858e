import { describe, expect, test } from 'vitest';
import { checkContract } from '../src/contract.ts';
import type { K8sObject } from '../src/manifest.ts';
import { readFixture, renderFixture } from './helpers.ts';

describe('quadrant contract', () => {
  test('geo with a volume breaks quadrant C', async () => {
    const violations = checkContract(await renderFixture('geo-with-volume'), ['geo']);
    expect(violations).toEqual([
      {
        check: 'contract',
        object: 'Deployment/geo',
        path: 'spec.template.spec.volumes[0]',
        message: 'geo (quadrant C): must have no volumes at all',
      },
    ]);
  });

  test('geo run as a StatefulSet breaks quadrant C', async () => {
    const violations = checkContract(await readFixture('geo-as-statefulset.yaml'), ['geo']);
    expect(violations).toEqual([
      expect.objectContaining({ object: 'Deployment/geo', path: 'kind' }),
    ]);
  });

  test('geo without an HPA fails', async () => {
    const violations = checkContract(await renderFixture('geo-without-hpa'), ['geo']);
    expect(violations).toEqual([
      expect.objectContaining({
        object: 'Deployment/geo',
        message: 'geo (quadrant C): needs a HorizontalPodAutoscaler targeting it',
      }),
    ]);
  });

  test('an overlay that must render geo and does not fails', () => {
    expect(checkContract([], ['geo'])).toEqual([
      expect.objectContaining({ object: 'Deployment/geo', path: '' }),
    ]);
  });

  test('a workload no service claims fails', async () => {
    const objects = await readFixture('transactions.yaml');
    const renamed = objects.map((o) =>
      o.kind === 'Deployment' ? { ...o, metadata: { ...o.metadata, name: 'mystery' } } : o,
    );
    expect(checkContract(renamed, [])).toContainEqual(
      expect.objectContaining({
        object: 'Deployment/mystery',
        message: expect.stringMatching(/no service/),
      }),
    );
  });

  describe('transactions (quadrant A)', () => {
    test('as quadrant A describes it passes', async () => {
      expect(checkContract(await readFixture('transactions.yaml'), ['transactions'])).toEqual([]);
    });

    test('its PostgreSQL without a headless Service fails', async () => {
      const objects = (await readFixture('transactions.yaml')).filter((o) => o.kind !== 'Service');
      expect(checkContract(objects, ['transactions'])).toEqual([
        expect.objectContaining({
          object: 'StatefulSet/transactions-postgres',
          path: 'spec.serviceName',
        }),
      ]);
    });

    test('without its migration Job fails', async () => {
      const objects = (await readFixture('transactions.yaml')).filter((o) => o.kind !== 'Job');
      expect(checkContract(objects, ['transactions'])).toEqual([
        expect.objectContaining({ object: 'Job/transactions-migrate', path: '' }),
      ]);
    });

    test('a migration Job with a volume fails (a Job has no replica count to check)', async () => {
      const objects = (await readFixture('transactions.yaml')).map((o) =>
        o.kind === 'Job'
          ? {
              ...o,
              spec: {
                template: {
                  spec: {
                    restartPolicy: 'Never',
                    containers: [{ name: 'migrate', image: 'quadrants/transactions:dev' }],
                    volumes: [{ name: 'scratch', emptyDir: {} }],
                  },
                },
              },
            }
          : o,
      );
      expect(checkContract(objects, ['transactions'])).toEqual([
        {
          check: 'contract',
          object: 'Job/transactions-migrate',
          path: 'spec.template.spec.volumes[0]',
          message: 'transactions (quadrant A): must have no volumes at all',
        },
      ]);
    });
  });

  describe('entries for services still to come', () => {
    test('basket’s Redis on a disk-backed emptyDir fails', () => {
      const objects = [
        aDeployment('basket', { volumes: [] }),
        aDeployment('basket-redis', { volumes: [{ name: 'data', emptyDir: {} }] }, 1),
      ];
      expect(checkContract(objects, ['basket'])).toEqual([
        expect.objectContaining({
          object: 'Deployment/basket-redis',
          path: 'spec.template.spec.volumes[0].emptyDir.medium',
        }),
      ]);
    });

    test('static-site mounting its seeded copy writable fails', () => {
      const seeded = aDeployment('static-site', {
        volumes: [{ name: 'site', emptyDir: {} }],
        initContainers: [{ name: 'sync', volumeMounts: [{ name: 'site', mountPath: '/site' }] }],
        containers: [{ name: 'web', volumeMounts: [{ name: 'site', mountPath: '/site' }] }],
      });
      expect(checkContract([seeded], ['static-site'])).toContainEqual(
        expect.objectContaining({
          path: 'spec.template.spec.containers[0].volumeMounts[0].readOnly',
        }),
      );
    });

    test('uploads on a ReadWriteOnce claim fails', () => {
      const objects: K8sObject[] = [
        aDeployment('uploads', {
          volumes: [{ name: 'files', persistentVolumeClaim: { claimName: 'uploads' } }],
        }),
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: 'uploads' },
          spec: { accessModes: ['ReadWriteOnce'] },
        },
      ];
      expect(checkContract(objects, ['uploads'])).toEqual([
        expect.objectContaining({ message: 'uploads (quadrant B): uploads must be ReadWriteMany' }),
      ]);
    });
  });
});

/** A Deployment with just the pod spec fields a contract test cares about. */
function aDeployment(name: string, podSpec: Record<string, unknown>, replicas = 2): K8sObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: { replicas, template: { spec: { containers: [{ name }], ...podSpec } } },
  };
}
