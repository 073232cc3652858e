import { describe, expect, test } from 'vitest';
import { checkApiValidation } from '../src/api-validation.ts';
import { checkOverlay } from '../src/checks.ts';
import { checkContract, overlayServices } from '../src/contract.ts';
import { type K8sObject, valueAt } from '../src/manifest.ts';
import { checkNamespaces, checkPodSecurity, checkProjectRules } from '../src/pod-security.ts';
import { listOverlays } from '../src/render.ts';
import { checkSchema } from '../src/schema.ts';
import { checkSelectorTargets } from '../src/selectors.ts';
import { k8sDir, renderRealOverlay } from './helpers.ts';

describe('the repository overlays', () => {
  test('every overlay folder is listed in the contract with the services it must render', async () => {
    const overlays = await listOverlays(`${k8sDir}/overlays`);
    expect(overlays).toEqual(expect.arrayContaining(['cloud', 'kind', 'kind-persistent-basket']));
    expect(Object.keys(overlayServices).sort()).toEqual(overlays);
  });

  test('kind renders geo as a Deployment with its Service, HPA, PDB and NetworkPolicy', async () => {
    const refs = (await renderRealOverlay('kind')).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(refs).toEqual(
      expect.arrayContaining([
        'Namespace/quadrants',
        'Deployment/geo',
        'Service/geo',
        'HorizontalPodAutoscaler/geo',
        'PodDisruptionBudget/geo',
        'NetworkPolicy/geo-allow-http',
      ]),
    );
  });

  test('kind renders transactions: the API, PostgreSQL with both Services, the migration Job, and no Secret', async () => {
    const objects = await renderRealOverlay('kind');
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(
      expect.arrayContaining([
        'Deployment/transactions',
        'Service/transactions',
        'PodDisruptionBudget/transactions',
        'NetworkPolicy/transactions-allow-http',
        'StatefulSet/transactions-postgres',
        'Service/transactions-postgres',
        'Service/transactions-postgres-headless',
        'NetworkPolicy/transactions-postgres-allow-transactions',
        'Job/transactions-migrate',
      ]),
    );
    // The password is made at deploy time (scripts/kind-up), never committed.
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(valueAt(find(objects, 'Service', 'transactions'), 'spec.ports')).toEqual([
      expect.objectContaining({ port: 80, nodePort: 30081 }),
    ]);
  });

  test('kind renders basket: the API, its store with its Service, and no Secret', async () => {
    const objects = await renderRealOverlay('kind');
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(
      expect.arrayContaining([
        'Deployment/basket',
        'Service/basket',
        'PodDisruptionBudget/basket',
        'NetworkPolicy/basket-allow-http',
        'Deployment/basket-redis',
        'Service/basket-redis',
        'NetworkPolicy/basket-redis-allow-basket',
      ]),
    );
    // basket's store has no claim: kind's only one is uploads'.
    expect(
      objects.filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => o.metadata.name),
    ).toEqual(['uploads']);
    expect(valueAt(find(objects, 'Service', 'basket'), 'spec.ports')).toEqual([
      expect.objectContaining({ port: 80, nodePort: 30085 }),
    ]);
    expect(valueAt(find(objects, 'Service', 'basket-redis'), 'spec.ports')).toEqual([
      { name: 'redis', port: 6379, targetPort: 'redis' },
    ]);
    // The names and labels the e2e suite's kind driver selects the store by.
    expect(
      valueAt(find(objects, 'Deployment', 'basket-redis'), 'spec.template.metadata.labels'),
    ).toEqual({
      'app.kubernetes.io/name': 'basket-redis',
      'app.kubernetes.io/component': 'store',
      'app.kubernetes.io/part-of': 'quadrants',
    });
  });

  test('kind renders uploads: the Deployment on its ReadWriteMany claim of the shared class, its Service, PDB and NetworkPolicy', async () => {
    const objects = await renderRealOverlay('kind');
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(
      expect.arrayContaining([
        'Deployment/uploads',
        'Service/uploads',
        'PodDisruptionBudget/uploads',
        'NetworkPolicy/uploads-allow-http',
        'PersistentVolumeClaim/uploads',
        'StorageClass/quadrants-shared',
      ]),
    );
    expect(valueAt(find(objects, 'Service', 'uploads'), 'spec.ports')).toEqual([
      expect.objectContaining({ port: 80, nodePort: 30082 }),
    ]);
    expect(find(objects, 'PersistentVolumeClaim', 'uploads')).toMatchObject({
      metadata: { namespace: 'quadrants' },
      spec: { accessModes: ['ReadWriteMany'], storageClassName: 'quadrants-shared' },
    });
    // kind's own provisioner, which scripts/kind-up configures for this class (shared mode).
    expect(find(objects, 'StorageClass', 'quadrants-shared')).toMatchObject({
      provisioner: 'rancher.io/local-path',
      volumeBindingMode: 'Immediate',
    });
    const pod = valueAt(find(objects, 'Deployment', 'uploads'), 'spec.template.spec');
    expect(pod).toMatchObject({
      securityContext: { runAsUser: 10001, fsGroup: 10001 },
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'uploads' } }],
      containers: [
        expect.objectContaining({
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
          env: expect.arrayContaining([
            { name: 'UPLOADS_DIR', value: '/data' },
            // Unique among the processes sharing the directory, as the service requires.
            {
              name: 'UPLOADS_INSTANCE',
              valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
            },
          ]),
        }),
      ],
    });
  });

  test('kind renders static-site: the server, its object store with both Services, the seed Job, their policies, and no Secret', async () => {
    const objects = await renderRealOverlay('kind');
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(
      expect.arrayContaining([
        'Deployment/static-site',
        'Service/static-site',
        'PodDisruptionBudget/static-site',
        'NetworkPolicy/static-site-allow-http',
        'StatefulSet/static-site-s3',
        'Service/static-site-s3',
        'Service/static-site-s3-headless',
        'NetworkPolicy/static-site-s3-allow-static-site',
        'Job/static-site-seed',
        'NetworkPolicy/static-site-seed-to-s3',
      ]),
    );
    // The store's key pair is made at deploy time (scripts/kind-up), never committed.
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(valueAt(find(objects, 'Service', 'static-site'), 'spec.ports')).toEqual([
      expect.objectContaining({ port: 80, nodePort: 30083 }),
    ]);
    // The store has no NodePort: only static-site's pods may reach it (port-forward for the host).
    expect(find(objects, 'Service', 'static-site-s3')).toMatchObject({
      spec: { type: 'ClusterIP', ports: [{ name: 's3', port: 9000, targetPort: 's3' }] },
    });
    // The names and labels the e2e suite's kind driver selects the store by.
    expect(
      valueAt(find(objects, 'StatefulSet', 'static-site-s3'), 'spec.template.metadata.labels'),
    ).toEqual({
      'app.kubernetes.io/name': 'static-site-s3',
      'app.kubernetes.io/component': 'store',
      'app.kubernetes.io/part-of': 'quadrants',
    });
  });

  test('static-site syncs into an emptyDir that its server only reads, from the store its seed fills', async () => {
    const objects = await renderRealOverlay('kind');
    const credentials = [
      {
        name: 'AWS_ACCESS_KEY_ID',
        valueFrom: { secretKeyRef: { name: 'static-site-s3', key: 'access-key-id' } },
      },
      {
        name: 'AWS_SECRET_ACCESS_KEY',
        valueFrom: { secretKeyRef: { name: 'static-site-s3', key: 'secret-access-key' } },
      },
    ];
    const store = [
      { name: 'AWS_ENDPOINT_URL_S3', value: 'http://static-site-s3:9000' },
      { name: 'S3_BUCKET', value: 'static-site' },
      { name: 'S3_PREFIX', value: 'site/' },
      ...credentials,
    ];
    const pod = valueAt(find(objects, 'Deployment', 'static-site'), 'spec.template.spec');
    expect(pod).toMatchObject({
      securityContext: { runAsNonRoot: true, runAsUser: 10001 },
      volumes: [{ name: 'site', emptyDir: expect.objectContaining({}) }],
      initContainers: [
        expect.objectContaining({
          name: 'sync',
          image: 'quadrants/static-site:dev',
          command: ['node', 'dist/sync.js'],
          env: expect.arrayContaining([{ name: 'STATIC_DIR', value: '/srv/site' }, ...store]),
          volumeMounts: [{ name: 'site', mountPath: '/srv/site' }],
          securityContext: expect.objectContaining({ readOnlyRootFilesystem: true }),
        }),
      ],
      containers: [
        expect.objectContaining({
          image: 'quadrants/static-site:dev',
          env: expect.arrayContaining([
            { name: 'STATIC_DIR', value: '/srv/site' },
            { name: 'STATIC_SYNC_ON_START', value: 'false' },
          ]),
          volumeMounts: [{ name: 'site', mountPath: '/srv/site', readOnly: true }],
          readinessProbe: expect.objectContaining({ httpGet: { path: '/readyz', port: 'http' } }),
          livenessProbe: expect.objectContaining({ httpGet: { path: '/healthz', port: 'http' } }),
          securityContext: expect.objectContaining({ readOnlyRootFilesystem: true }),
        }),
      ],
    });
    // The server itself holds no credential: only the sync talks to the store.
    expect(JSON.stringify(valueAt(pod, 'containers'))).not.toMatch(/AWS_|static-site-s3/);
    // A rollout (a restart to pick up a changed bucket) never has fewer than 2 ready.
    expect(valueAt(find(objects, 'Deployment', 'static-site'), 'spec')).toMatchObject({
      replicas: 2,
      strategy: { rollingUpdate: { maxUnavailable: 0 } },
    });
    expect(valueAt(find(objects, 'Job', 'static-site-seed'), 'spec.template.spec')).toMatchObject({
      containers: [
        expect.objectContaining({
          image: 'quadrants/static-site:dev',
          command: ['node', 'dist/seed.js'],
          env: expect.arrayContaining(store),
        }),
      ],
    });
    expect(
      valueAt(find(objects, 'StatefulSet', 'static-site-s3'), 'spec.template.spec.containers'),
    ).toEqual([expect.objectContaining({ env: expect.arrayContaining(credentials) })]);
  });

  test('uploads lets an upload in flight finish before the kubelet kills its pod', async () => {
    const uploads = find(await renderRealOverlay('kind'), 'Deployment', 'uploads');
    const spec = valueAt(uploads, 'spec.template.spec') as {
      terminationGracePeriodSeconds: number;
      containers: { env: { name: string; value?: string }[]; lifecycle: unknown }[];
    };
    const env = (name: string) =>
      Number(spec.containers[0]?.env.find((variable) => variable.name === name)?.value);
    const preStopMs = 5_000;
    expect(spec.containers[0]?.lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
    expect(env('SHUTDOWN_TIMEOUT_MS')).toBeGreaterThan(env('UPLOADS_REQUEST_TIMEOUT_MS'));
    expect(spec.terminationGracePeriodSeconds * 1_000).toBeGreaterThan(
      preStopMs + env('SHUTDOWN_TIMEOUT_MS'),
    );
  });

  test('kind-persistent-basket is kind with basket’s store on its claim, and nothing else changed', async () => {
    const kind = await renderRealOverlay('kind');
    const persistent = await renderRealOverlay('kind-persistent-basket');
    const ref = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
    expect(persistent.map(ref).sort()).toEqual(
      [...kind.map(ref), 'PersistentVolumeClaim/basket-redis-data'].sort(),
    );
    for (const object of kind) {
      if (ref(object) === 'Deployment/basket-redis') continue;
      expect(find(persistent, object.kind, object.metadata.name), ref(object)).toEqual(object);
    }
    expect(find(persistent, 'PersistentVolumeClaim', 'basket-redis-data')).toMatchObject({
      metadata: { namespace: 'quadrants' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    const containers = valueAt(
      find(persistent, 'Deployment', 'basket-redis'),
      'spec.template.spec.containers',
    );
    expect(containers).toEqual([
      expect.objectContaining({
        args: [
          'valkey-server',
          ...['--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec'],
          ...['--maxmemory', '96mb', '--maxmemory-policy', 'noeviction'],
          ...['--requirepass', '$(REDIS_PASSWORD)'],
        ],
      }),
    ]);
  });

  test('each of basket’s variants fails the other’s contract', async () => {
    const kind = await renderRealOverlay('kind');
    const persistent = await renderRealOverlay('kind-persistent-basket');
    expect(checkContract(persistent, ['basket+persistent-basket'])).toEqual([]);
    expect(checkContract(persistent, ['basket']).map((v) => v.path)).toEqual([
      'spec.template.spec.volumes[0]',
      'spec.template.spec.volumes',
      'spec.template.spec.containers[0].args[4]',
    ]);
    expect(checkContract(kind, ['basket+persistent-basket']).map((v) => v.path)).toEqual([
      'spec.template.spec.volumes',
      'spec.template.spec.containers[0].args[4]',
      'spec.template.spec.containers[0].args',
    ]);
  });

  test('kind passes every check', async () => {
    const objects = await renderRealOverlay('kind');
    expect(checkSchema(objects)).toEqual([]);
    expect(checkApiValidation(objects)).toEqual([]);
    expect(checkPodSecurity(objects)).toEqual([]);
    expect(checkProjectRules(objects)).toEqual([]);
    expect(checkNamespaces(objects)).toEqual([]);
    expect(checkSelectorTargets(objects)).toEqual([]);
    expect(
      checkContract(objects, ['transactions', 'geo', 'basket', 'uploads', 'static-site']),
    ).toEqual([]);
    const outcomes = checkOverlay('kind', objects);
    expect(outcomes.filter((o) => o.violations.length > 0)).toEqual([]);
    for (const subject of [
      'Deployment/geo',
      'Deployment/transactions',
      'StatefulSet/transactions-postgres',
      'Job/transactions-migrate',
      'Deployment/basket',
      'Deployment/basket-redis',
      'Deployment/uploads',
      'Deployment/static-site',
      'StatefulSet/static-site-s3',
      'Job/static-site-seed',
    ]) {
      expect(outcomes).toContainEqual({ check: 'contract', subject, violations: [] });
    }
  });

  test('cloud passes every check, with PostgreSQL’s claim on its network-disk StorageClass', async () => {
    const objects = await renderRealOverlay('cloud');
    expect(checkOverlay('cloud', objects).filter((o) => o.violations.length > 0)).toEqual([]);
    const storageClass = find(objects, 'StorageClass', 'quadrants-network-ssd');
    expect(storageClass).toMatchObject({
      provisioner: 'ebs.csi.aws.com',
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
    });
    const postgres = find(objects, 'StatefulSet', 'transactions-postgres');
    expect(valueAt(postgres, 'spec.volumeClaimTemplates')).toEqual([
      expect.objectContaining({
        spec: expect.objectContaining({ storageClassName: 'quadrants-network-ssd' }),
      }),
    ]);
  });

  test('cloud puts uploads’ claim on a network filesystem that every node mounts at once', async () => {
    const objects = await renderRealOverlay('cloud');
    expect(find(objects, 'PersistentVolumeClaim', 'uploads')).toMatchObject({
      spec: { accessModes: ['ReadWriteMany'], storageClassName: 'quadrants-shared' },
    });
    expect(find(objects, 'StorageClass', 'quadrants-shared')).toMatchObject({
      provisioner: 'efs.csi.aws.com',
      // The access point belongs to the image's user: EFS applies no fsGroup.
      parameters: expect.objectContaining({ provisioningMode: 'efs-ap', uid: '10001' }),
      volumeBindingMode: 'Immediate',
      reclaimPolicy: 'Retain',
    });
    expect(
      valueAt(find(objects, 'Deployment', 'uploads'), 'spec.template.spec.containers'),
    ).toEqual([expect.objectContaining({ image: 'registry.example.com/quadrants/uploads:0.1.0' })]);
  });

  test('every overlay gives uploads’ claim a class that can serve ReadWriteMany, never the default', async () => {
    for (const overlay of await listOverlays(`${k8sDir}/overlays`)) {
      const objects = await renderRealOverlay(overlay);
      const claim = find(objects, 'PersistentVolumeClaim', 'uploads');
      const className = valueAt(claim, 'spec.storageClassName');
      expect(className, overlay).toEqual(expect.any(String));
      expect(find(objects, 'StorageClass', String(className)), overlay).toBeDefined();
    }
  });

  test('kind-persistent-basket passes every check', async () => {
    const objects = await renderRealOverlay('kind-persistent-basket');
    const outcomes = checkOverlay('kind-persistent-basket', objects);
    expect(outcomes.filter((o) => o.violations.length > 0)).toEqual([]);
    expect(outcomes).toContainEqual({
      check: 'contract',
      subject: 'Deployment/basket-redis',
      violations: [],
    });
  });

  test('PostgreSQL and static-site’s store keep their claims whatever happens to the StatefulSet, in every overlay', async () => {
    for (const overlay of await listOverlays(`${k8sDir}/overlays`)) {
      const objects = await renderRealOverlay(overlay);
      for (const name of ['transactions-postgres', 'static-site-s3']) {
        const statefulSet = find(objects, 'StatefulSet', name);
        expect(
          valueAt(statefulSet, 'spec.persistentVolumeClaimRetentionPolicy'),
          `${overlay} ${name}`,
        ).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
      }
    }
  });

  test('cloud puts static-site’s store on the network disk, and its image comes from the registry', async () => {
    const objects = await renderRealOverlay('cloud');
    expect(
      valueAt(find(objects, 'StatefulSet', 'static-site-s3'), 'spec.volumeClaimTemplates'),
    ).toEqual([
      expect.objectContaining({
        spec: expect.objectContaining({
          accessModes: ['ReadWriteOnce'],
          storageClassName: 'quadrants-network-ssd',
        }),
      }),
    ]);
    expect(
      valueAt(find(objects, 'Deployment', 'static-site'), 'spec.template.spec.containers'),
    ).toEqual([
      expect.objectContaining({ image: 'registry.example.com/quadrants/static-site:0.1.0' }),
    ]);
  });
});

/** The one object of this kind and name; the test fails when the overlay renders none. */
function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`the overlay renders no ${kind}/${name}`);
  return found;
}
