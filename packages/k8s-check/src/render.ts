import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isRecord, type K8sObject } from './manifest.ts';

/** Rendering or parsing an overlay failed: nothing in it can be checked. */
export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}

/** Every folder under `overlaysDir` that holds a kustomization, sorted by name; none if no such dir. */
export async function listOverlays(overlaysDir: string): Promise<string[]> {
  const entries = await readdir(overlaysDir, { withFileTypes: true }).catch(() => []);
  const overlays: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const kustomization = join(overlaysDir, entry.name, 'kustomization.yaml');
    if (await stat(kustomization).catch(() => undefined)) overlays.push(entry.name);
  }
  return overlays.sort();
}

/** Runs `kubectl kustomize dir` and returns the multi-document YAML it prints. */
export function kustomize(dir: string, kubectl = 'kubectl'): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(kubectl, ['kustomize', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new RenderError(
              `${kubectl} not found on PATH: k8s check renders overlays with \`kubectl kustomize\`;` +
                ' install kubectl (no cluster is needed)',
            )
          : error,
      );
    });
    child.on('close', (code) => {
      if (code === 0) {
        resolve(Buffer.concat(stdout).toString('utf8'));
      } else {
        const reason = kubectlReason(Buffer.concat(stderr).toString('utf8'));
        reject(new RenderError(`kubectl kustomize ${dir} exited with ${code}: ${reason}`));
      }
    });
  });
}

/** Parses multi-document YAML into objects; anything that is not a Kubernetes object is an error. */
export function parseManifests(text: string): K8sObject[] {
  const objects: K8sObject[] = [];
  parseAllDocuments(text).forEach((document, index) => {
    const [error] = document.errors;
    if (error) throw new RenderError(`document ${index + 1}: ${error.message}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) return;
    if (!isKubernetesObject(value)) {
      throw new RenderError(`document ${index + 1} has no apiVersion, kind and metadata.name`);
    }
    objects.push(value);
  });
  return objects;
}

/** Renders one overlay and parses the result. */
export async function renderOverlay(dir: string, kubectl = 'kubectl'): Promise<K8sObject[]> {
  return parseManifests(await kustomize(dir, kubectl));
}

function isKubernetesObject(value: unknown): value is K8sObject {
  return (
    isRecord(value) &&
    typeof value.apiVersion === 'string' &&
    typeof value.kind === 'string' &&
    isRecord(value.metadata) &&
    typeof value.metadata.name === 'string'
  );
}

/** kubectl wraps kustomize's message in a log line; keep only the message when it does. */
function kubectlReason(stderr: string): string {
  const wrapped = /err="(.*)"\s*$/s.exec(stderr);
  return wrapped?.[1] ? wrapped[1].replaceAll('\\"', '"') : stderr.trim();
}
