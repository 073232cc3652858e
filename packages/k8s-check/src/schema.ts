import * as clientModels from '@kubernetes/client-node/dist/gen/models/all.js';
import { distance } from 'fastest-levenshtein';
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
import { StorageClass } from 'kubernetes-models/storage.k8s.io/v1';
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
import { checkCrdObject, crdKinds } from './gateway.ts';
import { isRecord, type K8sObject, type Problem, refOf, type Violation } from './manifest.ts';

/**
 * The Kubernetes minor whose OpenAPI schema both packages below were generated from:
 * kubernetes-models (types, required fields, enums) and @kubernetes/client-node (which fields
 * exist). test/schema.test.ts proves it against the installed packages, and
 * test/kind-pins.test.ts that it is the kind cluster's. When the cluster moves to another minor,
 * both packages move to their releases for it, and this with them.
 */
export const schemaKubernetesVersion = '1.36';

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
  StorageClass,
];

/** A field of a client-node model: its JSON name and type (`V1Probe`, `Array<V1Probe>`, …). */
interface Field {
  readonly baseName: string;
  readonly type: string;
}

/**
 * The fields of every model client-node generated from the OpenAPI spec, by model name
 * (`V1Container`). They come from the models' own index: the package's main entry would load its
 * network client too.
 */
const fieldsByModel: ReadonlyMap<string, readonly Field[]> = new Map(
  Object.entries<unknown>(clientModels).flatMap(([name, model]) =>
    typeof model === 'function' &&
    'attributeTypeMap' in model &&
    Array.isArray(model.attributeTypeMap)
      ? [[name, model.attributeTypeMap as readonly Field[]]]
      : [],
  ),
);

/**
 * client-node's name for a kind's model: its version and kind (`V1Deployment`,
 * `V2HorizontalPodAutoscaler`), with the group only where two groups share a kind (`CoreV1Event`).
 */
function clientModelName(model: ModelClass): string {
  const version = model.apiVersion.slice(model.apiVersion.lastIndexOf('/') + 1);
  const name = `${version.charAt(0).toUpperCase()}${version.slice(1)}${model.kind}`;
  // A kind whose name the rule misses fails here, at start-up, rather than going unwalked.
  if (!fieldsByModel.has(name)) {
    throw new Error(
      `@kubernetes/client-node has no model ${name} for ${model.apiVersion} ${model.kind}`,
    );
  }
  return name;
}

const modelByType = new Map(
  models.map((model) => [
    `${model.apiVersion}/${model.kind}`,
    { Model: model, fieldModel: clientModelName(model) },
  ]),
);

/**
 * Validates each object against the Kubernetes OpenAPI schema: kubernetes-models' compiled
 * validators catch wrong types, missing required fields and bad enum values; a walk over
 * client-node's models catches fields the schema does not define, at any depth, which the API
 * server's strict field validation (kubectl's default) rejects.
 */
export function checkSchema(objects: readonly K8sObject[]): Violation[] {
  return objects.flatMap((object) => validateOne(object, objects));
}

function validateOne(object: K8sObject, all: readonly K8sObject[]): Violation[] {
  const violation = (path: string, message: string): Violation => ({
    check: 'schema',
    object: refOf(object),
    path,
    message,
  });
  // The Gateway API's and Envoy Gateway's kinds (CRDs): a structural check of their own.
  if (crdKinds.has(`${object.apiVersion}/${object.kind}`)) {
    return checkCrdObject(object, all).map(([path, message]) => violation(path, message));
  }
  const entry = modelByType.get(`${object.apiVersion}/${object.kind}`);
  if (entry === undefined) {
    return [
      violation('', `unknown kind ${object.apiVersion} ${object.kind}: add its model to schema.ts`),
    ];
  }
  return [...typeErrors(entry.Model, object), ...unknownFields(object, entry.fieldModel, '')].map(
    ([path, message]) => violation(path, message),
  );
}

function typeErrors(Model: ModelClass, object: K8sObject): Problem[] {
  try {
    Object.assign(new Model(), object).validate();
    return [];
  } catch (error) {
    return schemaErrorsOf(error);
  }
}

/**
 * Every field in `value` that its type (a client-node model name) does not define, and the same
 * inside the fields it does define, all the way down.
 */
function unknownFields(value: unknown, type: string, path: string): Problem[] {
  const elementType = /^Array<(.+)>$/.exec(type)?.[1];
  if (elementType !== undefined) {
    return Array.isArray(value)
      ? value.flatMap((item, index) => unknownFields(item, elementType, `${path}[${index}]`))
      : [];
  }
  const fields = fieldsByModel.get(type);
  // Not a model: a scalar, or free-form (a map, IntOrString, a quantity, RawExtension's `any`).
  if (fields === undefined || !isRecord(value)) return [];
  return Object.entries(value).flatMap(([key, child]): Problem[] => {
    const childPath = path ? `${path}.${key}` : key;
    const field = fields.find((f) => f.baseName === key);
    return field === undefined
      ? [[childPath, unknownFieldMessage(key, type, fields)]]
      : unknownFields(child, field.type, childPath);
  });
}

function unknownFieldMessage(key: string, type: string, fields: readonly Field[]): string {
  // V1Container -> Container, V2MetricTarget -> MetricTarget, CoreV1EventSeries -> EventSeries
  const typeName = type.replace(/^\w*?V\d+(?:alpha\d+|beta\d+)?(?=[A-Z])/, '');
  const message =
    `unknown field "${key}" ` +
    `(Kubernetes ${schemaKubernetesVersion} has no such field in ${typeName})`;
  const meant = closestName(key, fields);
  return meant === undefined ? message : `${message}: did you mean ${meant}?`;
}

/** The field a typo most likely stands for: the nearest within 2 edits (fewer for short names). */
function closestName(name: string, fields: readonly Field[]): string | undefined {
  const withinReach = Math.min(2, Math.floor(name.length / 3));
  return fields
    .map(({ baseName }) => ({ baseName, distance: distance(name, baseName) }))
    .filter(({ distance }) => distance <= withinReach)
    .sort((a, b) => a.distance - b.distance)[0]?.baseName;
}

/** ajv's errors, which kubernetes-models attaches to the ValidationError it throws. */
function schemaErrorsOf(error: unknown): Problem[] {
  const errors = isRecord(error) && Array.isArray(error.errors) ? error.errors : [];
  const found = errors
    .filter(isRecord)
    .map(
      (e): Problem => [
        pointerToPath(typeof e.instancePath === 'string' ? e.instancePath : ''),
        typeof e.message === 'string' ? e.message : 'does not match the schema',
      ],
    );
  if (found.length > 0) return found;
  return [['', error instanceof Error ? error.message : String(error)]];
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
