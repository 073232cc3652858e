import type { IServicePort } from 'kubernetes-models/v1';
import {
  allContainers,
  handlersOf,
  isRecord,
  type K8sObject,
  type PodTemplate,
  type Problem,
  podTemplateOf,
  refOf,
  type Violation,
  valueAt,
} from './manifest.ts';
import { parseQuantity } from './quantity.ts';
import { type LabelSelector, selectorMatches } from './selectors.ts';

// What the API server's own validation (k8s.io/kubernetes/pkg/apis/*/validation) rejects and the
// OpenAPI schema cannot say. Each rule is one function from an object to the problems it has.

/**
 * The API server's semantic validation on every object: images, selectors, requests against
 * limits, and port names.
 */
export function checkApiValidation(objects: readonly K8sObject[]): Violation[] {
  return objects.flatMap((object) => {
    const found: Problem[] = [...selectorProblems(object), ...servicePortProblems(object)];
    const template = podTemplateOf(object);
    if (template !== undefined) {
      found.push(
        ...missingImages(template),
        ...requestsAboveLimits(template),
        ...containerPortNameProblems(template),
      );
    }
    return found.map(([path, message]) => ({ check: 'api', object: refOf(object), path, message }));
  });
}

/** The OpenAPI schema marks `image` optional (for tools that fill it in); a pod may not omit it. */
function missingImages(template: PodTemplate): Problem[] {
  return allContainers(template)
    .filter(({ container }) => !container.image)
    .map(({ path }): Problem => [`${path}.image`, 'must be set: every container needs an image']);
}

/** Kinds whose spec.selector picks out their own pods (a Job's, when it has one). */
const selectingKinds = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'DaemonSet', 'Job']);

/** A workload's selector selects its own pod template; an apps/v1 workload's is never empty. */
function selectorProblems(object: K8sObject): Problem[] {
  const template = podTemplateOf(object);
  const selector = valueAt(object, 'spec.selector');
  if (!selectingKinds.has(object.kind) || template === undefined || !isRecord(selector)) return [];
  const { matchLabels = {}, matchExpressions = [] } = selector as LabelSelector;
  if (object.kind !== 'Job' && Object.keys(matchLabels).length + matchExpressions.length === 0) {
    return [['spec.selector', `must not be empty: a ${object.kind} selects its pods by label`]];
  }
  if (selectorMatches(selector as LabelSelector, template.metadata.labels ?? {})) return [];
  return [
    ['spec.selector', `does not match the pod template's labels (${template.metadataPath}.labels)`],
  ];
}

/** For every resource a container both requests and limits, the request is at most the limit. */
function requestsAboveLimits(template: PodTemplate): Problem[] {
  return allContainers(template).flatMap(({ container, path }) => {
    const { requests = {}, limits = {} } = container.resources ?? {};
    return Object.entries(requests).flatMap(([resource, request]): Problem[] => {
      const limit = limits[resource];
      // No limit bounds nothing; a quantity that does not parse is the schema check's finding.
      if ((parseQuantity(request) ?? 0) <= (parseQuantity(limit) ?? Infinity)) return [];
      return [
        [
          `${path}.resources.requests.${resource}`,
          `is ${request}, above the ${resource} limit of ${limit}`,
        ],
      ];
    });
  });
}

/** Container port names, and the ports that probes and hooks name, are IANA service names. */
function containerPortNameProblems(template: PodTemplate): Problem[] {
  return allContainers(template).flatMap(({ container, path }) => [
    ...(container.ports ?? []).flatMap(({ name }, index) =>
      portNameProblems(name, `${path}.ports[${index}].name`),
    ),
    ...handlersOf(container).flatMap(({ handler, field }) =>
      (['httpGet', 'tcpSocket'] as const).flatMap((action) =>
        portNameProblems(handler[action]?.port, `${path}.${field}.${action}.port`),
      ),
    ),
  ]);
}

/** A Service's port names are DNS labels; a targetPort given by name is an IANA service name. */
function servicePortProblems(object: K8sObject): Problem[] {
  if (object.kind !== 'Service') return [];
  const ports = valueAt(object, 'spec.ports');
  return (Array.isArray(ports) ? (ports as IServicePort[]) : []).flatMap(
    ({ name, targetPort }, index) => [
      ...dnsLabelProblems(name, `spec.ports[${index}].name`),
      ...portNameProblems(targetPort, `spec.ports[${index}].targetPort`),
    ],
  );
}

/** For a port given by name (a number is a port, not a name), why it is not an IANA_SVC_NAME. */
function portNameProblems(port: unknown, path: string): Problem[] {
  if (typeof port !== 'string' || port === '') return [];
  const problems = [
    port.length > 15 && 'must be no more than 15 characters',
    !/^[-a-z0-9]+$/.test(port) && 'must contain only lowercase letters, digits and hyphens',
    !/[a-z]/.test(port) && 'must contain at least one letter',
    port.includes('--') && 'must not contain consecutive hyphens',
    (port.startsWith('-') || port.endsWith('-')) && 'must not begin or end with a hyphen',
  ].filter((problem) => problem !== false);
  if (problems.length === 0) return [];
  return [[path, `"${port}" is not a valid port name (IANA_SVC_NAME): ${problems.join(', ')}`]];
}

/** Why a name is not an RFC 1123 label, as DNS names and most Kubernetes names are made of. */
function dnsLabelProblems(name: unknown, path: string): Problem[] {
  if (typeof name !== 'string' || name === '') return [];
  if (name.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) return [];
  return [
    [
      path,
      `"${name}" is not a DNS label: at most 63 lowercase letters, digits and '-', ` +
        'starting and ending with a letter or digit',
    ],
  ];
}
