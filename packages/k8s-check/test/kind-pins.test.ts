// The kind path's pins agree with one another and with what the manifests need: the node image
// in kind-cluster.yaml, the versions in scripts/kind-versions.env, the Kubernetes schema that
// k8s check validates against, and the host ports each target publishes.
import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { gateway, services } from '../../../scripts/services.ts';
import { isRecord } from '../src/manifest.ts';
import { schemaKubernetesVersion } from '../src/schema.ts';
import { k8sDir, renderRealOverlay } from './helpers.ts';

const root = new URL('../../../', import.meta.url);

/** scripts/kind-versions.env as KEY=value pairs (comments and blank lines skipped). */
async function kindVersions(): Promise<Record<string, string>> {
  const text = await readFile(new URL('scripts/kind-versions.env', root), 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'))
      .map((line) => {
        const match = /^([A-Z0-9_]+)=(\S+)$/.exec(line);
        if (!match) throw new Error(`kind-versions.env: not KEY=value: ${line}`);
        return [match[1], match[2]];
      }),
  );
}

interface KindNode {
  role: string;
  image?: string;
  extraMounts?: { hostPath: string; containerPath: string }[];
  extraPortMappings?: { containerPort: number; hostPort: number; listenAddress?: string }[];
}

async function kindCluster(): Promise<{ nodes: KindNode[] }> {
  return parse(await readFile(`${k8sDir}/overlays/kind/kind-cluster.yaml`, 'utf8'));
}

/** v1.36.4 -> [1, 36, 4] */
const versionParts = (version: string) => version.replace(/^v/, '').split('.').map(Number);

describe('the kind pins', () => {
  test('every version is exact and every checksum a SHA-256', async () => {
    const versions = await kindVersions();
    for (const key of [
      'KUBERNETES_VERSION',
      'KIND_VERSION',
      'KUBECTL_VERSION',
      'ENVOY_GATEWAY_VERSION',
    ]) {
      expect(versions[key], key).toMatch(/^v\d+\.\d+\.\d+$/);
    }
    const checksums = Object.keys(versions).filter((key) => key.includes('_SHA256_'));
    expect(checksums).toHaveLength(4);
    for (const key of checksums) expect(versions[key], key).toMatch(/^[0-9a-f]{64}$/);
  });

  test('every node runs the pinned Kubernetes, by digest', async () => {
    const { KUBERNETES_VERSION } = await kindVersions();
    const { nodes } = await kindCluster();
    expect(nodes.length).toBeGreaterThan(0);
    for (const node of nodes) {
      expect(node.image).toMatch(
        new RegExp(`^kindest/node:${KUBERNETES_VERSION}@sha256:[0-9a-f]{64}$`),
      );
    }
  });

  test('the pinned Kubernetes runs the preStop sleep action (1.30 and later)', async () => {
    const [major = 0, minor = 0] = versionParts((await kindVersions()).KUBERNETES_VERSION ?? '');
    expect(major).toBe(1);
    expect(minor).toBeGreaterThanOrEqual(30);
  });

  test('k8s check validates against the schema of the pinned Kubernetes', async () => {
    const [major, minor] = versionParts((await kindVersions()).KUBERNETES_VERSION ?? '');
    expect(schemaKubernetesVersion).toBe(`${major}.${minor}`);
  });

  test('kubectl is within one minor version of the cluster, as Kubernetes supports', async () => {
    const versions = await kindVersions();
    const [, cluster = 0] = versionParts(versions.KUBERNETES_VERSION ?? '');
    const [, kubectl = 0] = versionParts(versions.KUBECTL_VERSION ?? '');
    expect(Math.abs(kubectl - cluster)).toBeLessThanOrEqual(1);
  });
});

describe('the shared directory behind the ReadWriteMany class', () => {
  // local-path-config.yaml, which scripts/kind-up merges into kind's provisioner's config.
  async function sharedFileSystemPath(): Promise<string> {
    const patch = parse(await readFile(`${k8sDir}/overlays/kind/local-path-config.yaml`, 'utf8'));
    const config = JSON.parse(patch.data['config.json']);
    // kind's default class keeps its own configuration beside the shared one.
    expect(config.nodePathMap).toEqual([]);
    expect(config.storageClassConfigs.standard).toEqual({
      nodePathMap: [
        { node: 'DEFAULT_PATH_FOR_NON_LISTED_NODES', paths: ['/var/local-path-provisioner'] },
      ],
    });
    return config.storageClassConfigs['quadrants-shared'].sharedFileSystemPath;
  }

  test('is mounted into every node, from the same host directory, where the provisioner looks', async () => {
    const path = await sharedFileSystemPath();
    const { nodes } = await kindCluster();
    expect(nodes.length).toBeGreaterThan(1);
    for (const node of nodes) {
      // A node without it would make a directory of its own there, seen by its pods only.
      expect(node.extraMounts, node.role).toEqual([
        { hostPath: '.kind-up/shared', containerPath: path },
      ]);
    }
  });

  test('the cluster has two workers, for uploads’ two replicas on two nodes', async () => {
    const { nodes } = await kindCluster();
    expect(nodes.map((node) => node.role)).toEqual(['control-plane', 'worker', 'worker']);
    // kind-up reads the port mappings from the control plane's container only.
    for (const worker of nodes.filter((node) => node.role === 'worker')) {
      expect(worker.extraPortMappings).toBeUndefined();
    }
  });

  test('the provisioner’s shared class is the one uploads’ claim names on kind', async () => {
    const objects = await renderRealOverlay('kind');
    const claim = objects.find(
      (o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === 'uploads',
    );
    expect(isRecord(claim?.spec) ? claim.spec.storageClassName : undefined).toBe(
      'quadrants-shared',
    );
    await sharedFileSystemPath();
  });
});

describe('the host ports', () => {
  test("every NodePort of the kind overlay is mapped to the same port on the host's loopback", async () => {
    const objects = await renderRealOverlay('kind');
    const nodePorts = objects
      .filter((object) => object.kind === 'Service')
      .flatMap((service) => {
        const spec = isRecord(service.spec) ? service.spec : {};
        const ports = Array.isArray(spec.ports) ? spec.ports : [];
        return spec.type === 'NodePort' ? ports.map((p: { nodePort?: number }) => p.nodePort) : [];
      });
    expect(nodePorts.length).toBeGreaterThan(0);
    // The one origin's port is a NodePort too, but of a Service the render has none of: Envoy
    // Gateway's controller makes the proxy's Service (in envoy-gateway-system) from the
    // EnvoyProxy, whose patch fixes its node port. It is the one port allowed in the mappings
    // without a Service, and it must be 30080, where e2e's kind target (gatewayUrl) looks.
    const envoyProxy = objects.find((object) => object.kind === 'EnvoyProxy');
    const patchedPorts: { nodePort?: number }[] =
      // biome-ignore lint/suspicious/noExplicitAny: a path into a checked object, for a test
      (envoyProxy as any)?.spec?.provider?.kubernetes?.envoyService?.patch?.value?.spec?.ports ??
      [];
    const oneOrigin = patchedPorts.map((port) => port.nodePort);
    expect(oneOrigin).toEqual([30080]);
    nodePorts.push(...oneOrigin);
    const mappings = (await kindCluster()).nodes.flatMap((node) => node.extraPortMappings ?? []);
    expect(mappings.map((m) => m.containerPort).sort()).toEqual(nodePorts.sort());
    for (const mapping of mappings) {
      expect(mapping).toMatchObject({
        hostPort: mapping.containerPort,
        listenAddress: '127.0.0.1',
      });
    }
  });

  test('pnpm start, docker-compose.yml and kind never publish the same host port', async () => {
    const compose = await readFile(new URL('docker-compose.yml', root), 'utf8');
    const composePorts = [...compose.matchAll(/\$\{\w+_PUBLISH:-127\.0\.0\.1:(\d+)\}/g)].map(
      (match) => Number(match[1]),
    );
    const kindPorts = (await kindCluster()).nodes.flatMap((node) =>
      (node.extraPortMappings ?? []).map((m) => m.hostPort),
    );
    // pnpm start's embedded S3 server (8090) and compose's static-site-s3 (18090) beside the
    // services: static-site's bucket is published so that the e2e suite can change it; and
    // each target's one origin (8080 and 18080).
    const localPorts = [...services.map((service) => service.port), gateway.port, 8090];
    expect(composePorts).toHaveLength(services.length + 2);
    const all = [...localPorts, ...composePorts, ...kindPorts];
    expect(new Set(all).size).toBe(all.length);
  });
});
