import {
  ControllerRevision,
  DaemonSet,
  Deployment,
  ReplicaSet,
  StatefulSet,
} from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { CronJob, Job } from 'kubernetes-models/batch/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import {
  ConfigMap,
  LimitRange,
  Namespace,
  PersistentVolumeClaim,
  Pod,
  ResourceQuota,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-models/v1';
import { isRecord, type K8sObject, refOf, type Violation } from './manifest.ts';

/** What every kubernetes-models class offers: its type meta, and validation of what it holds. */
interface ModelClass {
  readonly apiVersion: string;
  readonly kind: string;
  new (): { validate(): void };
}

/**
 * The kinds an overlay may contain. Anything else is a failure rather than a skip, so a typo in
 * apiVersion (or a kind nobody has reviewed) cannot slip through unchecked; add it here first.
 */
const models: readonly ModelClass[] = [
  ConfigMap,
  ControllerRevision,
  CronJob,
  DaemonSet,
  Deployment,
  HorizontalPodAutoscaler,
  Ingress,
  Job,
  LimitRange,
  Namespace,
  NetworkPolicy,
  PersistentVolumeClaim,
  Pod,
  PodDisruptionBudget,
  ReplicaSet,
  ResourceQuota,
  Role,
  RoleBinding,
  Secret,
  Service,
  ServiceAccount,
  StatefulSet,
];

const modelByType = new Map(models.map((model) => [`${model.apiVersion}/${model.kind}`, model]));

/**
 * Validates each object against the Kubernetes OpenAPI schema that kubernetes-models compiles.
 * Catches wrong types, missing required fields and bad enum values. Like the API server's own
 * schema, it lets unknown fields through; the pod checks still catch a misspelt security field,
 * because the field they look for is then missing.
 */
export function checkSchema(objects: readonly K8sObject[]): Violation[] {
  return objects.flatMap((object) => validateOne(object));
}

function validateOne(object: K8sObject): Violation[] {
  const violation = (path: string, message: string): Violation => ({
    check: 'schema',
    object: refOf(object),
    path,
    message,
  });
  const Model = modelByType.get(`${object.apiVersion}/${object.kind}`);
  if (Model === undefined) {
    return [
      violation('', `unknown kind ${object.apiVersion} ${object.kind}: add its model to schema.ts`),
    ];
  }
  const model = Object.assign(new Model(), object);
  try {
    model.validate();
    return [];
  } catch (error) {
    return schemaErrorsOf(error).map((e) => violation(e.path, e.message));
  }
}

/** ajv's errors, which kubernetes-models attaches to the ValidationError it throws. */
function schemaErrorsOf(error: unknown): { path: string; message: string }[] {
  const errors = isRecord(error) && Array.isArray(error.errors) ? error.errors : [];
  const found = errors.filter(isRecord).map((e) => ({
    path: pointerToPath(typeof e.instancePath === 'string' ? e.instancePath : ''),
    message: typeof e.message === 'string' ? e.message : 'does not match the schema',
  }));
  if (found.length > 0) return found;
  return [{ path: '', message: error instanceof Error ? error.message : String(error) }];
}

/** `/spec/template/spec/containers/0/name` -> `spec.template.spec.containers[0].name` */
function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce(
      (path, key) => (/^\d+$/.test(key) ? `${path}[${key}]` : path ? `${path}.${key}` : key),
      '',
    );
}
