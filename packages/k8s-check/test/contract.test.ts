import { describe, expect, test } from 'vitest';
import { checkContract, servicesToCheck } from '../src/contract.ts';
import type { K8sObject } from '../src/manifest.ts';
import { readFixture, renderFixture, renderRealOverlay } from './helpers.ts';

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
      const objects = (await readFixture('transactions.yaml')).filter(
        (o) => o.metadata?.name !== 'transactions-migrate',
      );
      expect(checkContract(objects, ['transactions'])).toEqual([
        expect.objectContaining({ object: 'Job/transactions-migrate', path: '' }),
      ]);
    });

    test('a migration Job with a volume fails (a Job has no replica count to check)', async () => {
      const objects = (await readFixture('transactions.yaml')).map((o) =>
        o.metadata?.name === 'transactions-migrate'
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

  describe('transactions’ PostgreSQL admits transactions’ own pods only', () => {
    test('a policy that also admits geo’s pods fails', async () => {
      const violations = checkContract(await renderFixture('postgres-open-to-geo'), [
        'transactions',
      ]);
      expect(violations).toEqual([
        {
          check: 'contract',
          object: 'StatefulSet/transactions-postgres',
          path: '',
          message:
            'transactions (quadrant A): NetworkPolicy/transactions-postgres-allow-transactions' +
            ' spec.ingress[0].from[0] admits other peers; only transactions and' +
            ' transactions-migrate may reach it',
        },
      ]);
    });
  });

  describe('basket (quadrant D)', () => {
    test('as quadrant D describes it (k8s/base/basket) passes', async () => {
      expect(checkContract(await renderRealOverlay('kind'), ['basket'])).toEqual([]);
    });

    test('its API without a PodDisruptionBudget fails', async () => {
      expect(checkContract(await renderFixture('basket-without-pdb'), ['basket'])).toEqual([
        {
          check: 'contract',
          object: 'Deployment/basket',
          path: '',
          message:
            'basket (quadrant D): needs a PodDisruptionBudget selecting its pods, so a drain' +
            ' keeps one answering',
        },
      ]);
    });

    test('a PodDisruptionBudget that lets no pod go fails: no drain would ever end', async () => {
      expect(checkContract(await renderFixture('basket-pdb-blocks-drains'), ['basket'])).toEqual([
        expect.objectContaining({
          object: 'Deployment/basket',
          message: expect.stringMatching(/PodDisruptionBudget\/basket lets no pod be evicted/),
        }),
      ]);
    });

    test('its store with two replicas fails: two stores are two sets of baskets', async () => {
      expect(checkContract(await renderFixture('basket-redis-two-replicas'), ['basket'])).toEqual([
        expect.objectContaining({ object: 'Deployment/basket-redis', path: 'spec.replicas' }),
      ]);
    });

    test('its store rolled out with RollingUpdate fails: a rollout would run two', async () => {
      const objects = await renderFixture('basket-redis-rolling-update');
      expect(checkContract(objects, ['basket'])).toEqual([
        expect.objectContaining({
          object: 'Deployment/basket-redis',
          path: 'spec.strategy.type',
          message: expect.stringMatching(/must be Recreate/),
        }),
      ]);
    });

    test('its store on a tmpfs without a sizeLimit fails', async () => {
      const objects = await renderFixture('basket-redis-unbounded-tmpfs');
      expect(checkContract(objects, ['basket'])).toEqual([
        expect.objectContaining({
          object: 'Deployment/basket-redis',
          path: 'spec.template.spec.volumes[0].emptyDir.sizeLimit',
        }),
      ]);
    });

    test('its store taking RDB snapshots fails', async () => {
      expect(checkContract(await renderFixture('basket-redis-snapshots'), ['basket'])).toEqual([
        {
          check: 'contract',
          object: 'Deployment/basket-redis',
          path: 'spec.template.spec.containers[0].args[2]',
          message: 'basket (quadrant D): must run with --save "", not --save 3600 1',
        },
      ]);
    });

    test('a later --appendonly yes fails, though --appendonly no is there too', async () => {
      const objects = await renderFixture('basket-redis-appendonly-appended');
      expect(checkContract(objects, ['basket'])).toEqual([
        expect.objectContaining({
          object: 'Deployment/basket-redis',
          path: 'spec.template.spec.containers[0].args[12]',
          message: 'basket (quadrant D): must run with --appendonly no, not --appendonly yes',
        }),
      ]);
    });

    test('its store without the flags at all fails, naming each', async () => {
      const objects = (await renderFixture('basket-redis-snapshots')).map((o) =>
        o.kind === 'Deployment' && o.metadata.name === 'basket-redis'
          ? aDeployment('basket-redis', { volumes: [memoryVolume] }, 1, 'Recreate')
          : o,
      );
      expect(
        checkContract(objects, ['basket']).map((v) => [v.path, v.message.split(': ')[1]]),
      ).toEqual([
        ['spec.template.spec.containers[0].args', 'must run with --save ""'],
        ['spec.template.spec.containers[0].args', 'must run with --appendonly no'],
      ]);
    });

    test('a store any pod may reach fails', async () => {
      expect(checkContract(await renderFixture('basket-redis-open'), ['basket'])).toEqual([
        expect.objectContaining({
          object: 'Deployment/basket-redis',
          message:
            'basket (quadrant D): NetworkPolicy/basket-redis-allow-basket spec.ingress[0]' +
            ' admits traffic from anywhere; only basket may reach it',
        }),
      ]);
    });

    test.each([
      ['any pod of the namespace', { podSelector: {} }],
      ['basket pods of every namespace', { namespaceSelector: {}, podSelector: basketPods }],
      ['an address range', { ipBlock: { cidr: '10.0.0.0/8' } }],
      [
        'pods named otherwise too',
        {
          podSelector: {
            matchExpressions: [
              { key: 'app.kubernetes.io/name', operator: 'In', values: ['basket', 'geo'] },
            ],
          },
        },
      ],
    ])('a store that admits %s fails', async (_, peer) => {
      const objects = (await renderFixture('basket-redis-open')).map((o) =>
        o.metadata.name === 'basket-redis-allow-basket'
          ? { ...o, spec: { ...(o.spec as object), ingress: [{ from: [peer] }] } }
          : o,
      );
      expect(checkContract(objects, ['basket'])).toEqual([
        expect.objectContaining({
          object: 'Deployment/basket-redis',
          message: expect.stringMatching(/from\[0\] admits other peers; only basket may/),
        }),
      ]);
    });

    test('a store no NetworkPolicy isolates fails: anything may reach it', async () => {
      // The namespace's default deny and basket-redis' own policy gone; PostgreSQL's and
      // static-site's stay.
      const objects = (await renderFixture('basket-redis-open')).filter(
        (o) =>
          o.kind !== 'NetworkPolicy' ||
          o.metadata.name.startsWith('transactions-postgres') ||
          o.metadata.name.startsWith('static-site'),
      );
      expect(checkContract(objects, ['basket'])).toEqual([
        expect.objectContaining({
          object: 'Deployment/basket-redis',
          message: expect.stringMatching(/no NetworkPolicy isolates its pods for ingress/),
        }),
      ]);
    });

    test('its Redis on a disk-backed emptyDir fails', () => {
      const objects = [
        aDeployment('basket', { volumes: [] }),
        aDeployment('basket-redis', { volumes: [{ name: 'data', emptyDir: {} }] }, 1),
      ];
      expect(checkContract(objects, ['basket'])).toContainEqual(
        expect.objectContaining({
          object: 'Deployment/basket-redis',
          path: 'spec.template.spec.volumes[0].emptyDir.medium',
        }),
      );
    });
  });

  describe('basket with persistent-basket (quadrant A)', () => {
    test('is checked as the variant an overlay names, never also as plain basket', () => {
      const objects = [aDeployment('basket', {}), aDeployment('basket-redis', {}, 1)];
      expect(servicesToCheck(objects, ['basket+persistent-basket'])).toEqual([
        'basket+persistent-basket',
      ]);
      expect(servicesToCheck(objects, [])).toEqual(['basket']);
    });

    test('its append-only file on a tmpfs fails: it goes with the pod', async () => {
      const objects = await renderFixture('persistent-basket-on-tmpfs');
      expect(checkContract(objects, ['basket+persistent-basket'])).toEqual([
        {
          check: 'contract',
          object: 'Deployment/basket-redis',
          path: 'spec.template.spec.volumes',
          message: 'basket+persistent-basket (quadrant A): must mount a PersistentVolumeClaim',
        },
      ]);
    });

    test('its claim with the append-only file off fails: nothing is written to it', async () => {
      const objects = await renderFixture('persistent-basket-without-aof');
      expect(checkContract(objects, ['basket+persistent-basket'])).toEqual([
        {
          check: 'contract',
          object: 'Deployment/basket-redis',
          path: 'spec.template.spec.containers[0].args[4]',
          message:
            'basket+persistent-basket (quadrant A): must run with --appendonly yes, not' +
            ' --appendonly no',
        },
      ]);
    });
  });

  describe('static-site (quadrant B′, on a store in quadrant A)', () => {
    test('as k8s/base has it passes: a seeded copy per pod, a budget, its store reached by its own pods only', async () => {
      expect(checkContract(await renderRealOverlay('kind'), ['static-site'])).toEqual([]);
    });

    test('mounting its seeded copy writable fails', () => {
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

    test('its server mounting the synced copy writable fails: it could change what it serves', async () => {
      const violations = checkContract(await renderFixture('static-site-writes-its-copy'), [
        'static-site',
      ]);
      expect(violations).toEqual([
        {
          check: 'contract',
          object: 'Deployment/static-site',
          path: 'spec.template.spec.containers[0].volumeMounts[0].readOnly',
          message:
            "static-site (quadrant B'): must be true: only the initContainer writes the seeded copy",
        },
        expect.objectContaining({ path: 'spec.template.spec.volumes' }),
      ]);
    });

    test('without its sync initContainer fails: the copy it serves would be empty', async () => {
      const violations = checkContract(await renderFixture('static-site-without-sync'), [
        'static-site',
      ]);
      expect(violations).toEqual([
        {
          check: 'contract',
          object: 'Deployment/static-site',
          path: 'spec.template.spec.volumes',
          message:
            "static-site (quadrant B'): must have an emptyDir that an initContainer writes and" +
            ' the containers mount read-only',
        },
      ]);
    });

    test('without a PodDisruptionBudget fails', async () => {
      expect(
        checkContract(await renderFixture('static-site-without-pdb'), ['static-site']),
      ).toEqual([
        expect.objectContaining({
          object: 'Deployment/static-site',
          message: expect.stringMatching(/needs a PodDisruptionBudget selecting its pods/),
        }),
      ]);
    });

    test('its store on a directory of its pod fails: the bucket is the authoritative copy', async () => {
      expect(
        checkContract(await renderFixture('static-site-s3-on-emptydir'), ['static-site']),
      ).toEqual([
        {
          check: 'contract',
          object: 'StatefulSet/static-site-s3',
          path: 'spec.volumeClaimTemplates',
          message: 'static-site (quadrant A): must claim a volume per pod',
        },
      ]);
    });

    test('its store reachable by geo fails', async () => {
      expect(
        checkContract(await renderFixture('static-site-s3-open-to-geo'), ['static-site']),
      ).toEqual([
        {
          check: 'contract',
          object: 'StatefulSet/static-site-s3',
          path: '',
          message:
            'static-site (quadrant A): NetworkPolicy/static-site-s3-allow-static-site' +
            ' spec.ingress[0].from[0] admits other peers; only static-site and static-site-seed' +
            ' may reach it',
        },
      ]);
    });

    test('its server allowed to connect to any address fails', async () => {
      expect(
        checkContract(await renderFixture('static-site-egress-anywhere'), ['static-site']),
      ).toEqual([
        {
          check: 'contract',
          object: 'Deployment/static-site',
          path: '',
          message:
            "static-site (quadrant B'): NetworkPolicy/static-site-allow-http spec.egress[0] admits" +
            " connections to anywhere; it may reach only static-site-s3 (and the cluster's DNS on" +
            ' port 53)',
        },
      ]);
    });

    test('its seed with no egress policy fails: it could connect anywhere', async () => {
      expect(
        checkContract(await renderFixture('static-site-seed-unrestricted'), ['static-site']),
      ).toEqual([
        expect.objectContaining({
          object: 'Job/static-site-seed',
          message: expect.stringMatching(/^static-site \(quadrant B'\): no NetworkPolicy isolates/),
        }),
      ]);
    });

    test('its seed allowed any port of the DNS pods fails: only port 53 is DNS', async () => {
      expect(
        checkContract(await renderFixture('static-site-dns-any-port'), ['static-site']),
      ).toEqual([
        expect.objectContaining({
          object: 'Job/static-site-seed',
          message: expect.stringMatching(
            /NetworkPolicy\/static-site-seed-to-s3 spec\.egress\[1\]\.to\[0\] admits other destinations/,
          ),
        }),
      ]);
    });

    test.each([
      ['every pod of the namespace', { podSelector: {} }],
      ['the store’s pods in every namespace', { namespaceSelector: {}, podSelector: storePods }],
      ['an address block', { ipBlock: { cidr: '0.0.0.0/0' } }],
      [
        'DNS pods of any namespace',
        { namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } },
      ],
    ])('an egress rule to %s fails', async (_, peer) => {
      const objects = (await renderRealOverlay('kind')).map((o) =>
        o.kind === 'NetworkPolicy' && o.metadata.name === 'static-site-seed-to-s3'
          ? { ...o, spec: { ...(o.spec as object), egress: [{ to: [peer], ports: dnsPorts }] } }
          : o,
      );
      expect(checkContract(objects, ['static-site'])).toEqual([
        expect.objectContaining({
          object: 'Job/static-site-seed',
          message: expect.stringMatching(/egress\[0\]\.to\[0\] admits other destinations/),
        }),
      ]);
    });
  });

  describe('uploads (quadrant B)', () => {
    test('as k8s/base has it passes: two spread replicas, a budget, one ReadWriteMany claim', async () => {
      expect(checkContract(await renderRealOverlay('kind'), ['uploads'])).toEqual([]);
    });

    test('on a ReadWriteOnce claim fails: several nodes cannot share it', async () => {
      expect(checkContract(await renderFixture('uploads-rwo-claim'), ['uploads'])).toEqual([
        {
          check: 'contract',
          object: 'Deployment/uploads',
          path: 'spec.template.spec.volumes[0].persistentVolumeClaim',
          message: 'uploads (quadrant B): uploads must be ReadWriteMany',
        },
      ]);
    });

    test('on a directory of its own pod fails: the other replica would not see the files', async () => {
      expect(checkContract(await renderFixture('uploads-on-emptydir'), ['uploads'])).toEqual([
        expect.objectContaining({
          object: 'Deployment/uploads',
          path: 'spec.template.spec.volumes',
          message: 'uploads (quadrant B): must mount a PersistentVolumeClaim',
        }),
      ]);
    });

    test('without a PodDisruptionBudget fails', async () => {
      expect(checkContract(await renderFixture('uploads-without-pdb'), ['uploads'])).toEqual([
        expect.objectContaining({
          object: 'Deployment/uploads',
          message: expect.stringMatching(/needs a PodDisruptionBudget selecting its pods/),
        }),
      ]);
    });

    test('spread over nodes only as a preference fails: both replicas could share a node', async () => {
      expect(checkContract(await renderFixture('uploads-spread-anyway'), ['uploads'])).toEqual([
        {
          check: 'contract',
          object: 'Deployment/uploads',
          path: 'spec.template.spec.topologySpreadConstraints',
          message:
            'uploads (quadrant B): needs a constraint over kubernetes.io/hostname with maxSkew 1' +
            ' and DoNotSchedule that selects its pods, so its replicas always run on different' +
            ' nodes',
        },
      ]);
    });

    test('a spread constraint that selects other pods does not count', () => {
      const elsewhere = aDeployment('uploads', {
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'uploads' } }],
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: 'kubernetes.io/hostname',
            whenUnsatisfiable: 'DoNotSchedule',
            labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'geo' } },
          },
        ],
      });
      const claim: K8sObject = {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'uploads', namespace: 'quadrants' },
        spec: { accessModes: ['ReadWriteMany'] },
      };
      const budget: K8sObject = {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'uploads', namespace: 'quadrants' },
        spec: {
          minAvailable: 1,
          selector: { matchLabels: { 'app.kubernetes.io/name': 'uploads' } },
        },
      };
      expect(checkContract([elsewhere, claim, budget], ['uploads'])).toEqual([
        expect.objectContaining({ path: 'spec.template.spec.topologySpreadConstraints' }),
      ]);
    });
  });
});

/** A Deployment with just the pod spec fields a contract test cares about. */
function aDeployment(
  name: string,
  podSpec: Record<string, unknown>,
  replicas = 2,
  strategy = 'RollingUpdate',
): K8sObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'quadrants' },
    spec: {
      replicas,
      strategy: { type: strategy },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': name } },
        spec: { containers: [{ name }], ...podSpec },
      },
    },
  };
}

const memoryVolume = { name: 'data', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } };
const basketPods = { matchLabels: { 'app.kubernetes.io/name': 'basket' } };
const storePods = { matchLabels: { 'app.kubernetes.io/name': 'static-site-s3' } };
const dnsPorts = [
  { protocol: 'UDP', port: 53 },
  { protocol: 'TCP', port: 53 },
];
