import { isRecord, type K8sObject, type Problem } from './manifest.ts';

/**
 * The kinds the Gateway API and Envoy Gateway define (CRDs), which kubernetes-models and
 * client-node do not know: the one origin on kind (k8s/overlays/kind/gateway). No JSON schema
 * of theirs is vendored here; this is a structural check of the fields the overlay uses, and
 * rules of the one origin: every HTTPRoute attaches to a Gateway of the render, sends to a
 * Service port of the render, and a route under /api/<service> replaces that prefix by "/"
 * and sets X-Forwarded-Prefix: /api/<service> (docs/decisions/0011-one-origin.md).
 */
export const crdKinds: ReadonlySet<string> = new Set([
  'gateway.networking.k8s.io/v1/GatewayClass',
  'gateway.networking.k8s.io/v1/Gateway',
  'gateway.networking.k8s.io/v1/HTTPRoute',
  'gateway.envoyproxy.io/v1alpha1/EnvoyProxy',
]);

const get = (value: unknown, key: string): unknown => (isRecord(value) ? value[key] : undefined);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

export function checkCrdObject(object: K8sObject, all: readonly K8sObject[]): Problem[] {
  const spec = get(object, 'spec');
  const problems: Problem[] = [];
  if (!isRecord(spec)) return [['spec', 'must be an object']];
  if (object.kind === 'GatewayClass' && typeof spec.controllerName !== 'string') {
    problems.push(['spec.controllerName', 'is required']);
  }
  if (object.kind === 'Gateway') {
    if (typeof spec.gatewayClassName !== 'string') {
      problems.push(['spec.gatewayClassName', 'is required']);
    }
    if (list(spec.listeners).length === 0) problems.push(['spec.listeners', 'is required']);
  }
  if (object.kind === 'HTTPRoute') problems.push(...httpRouteProblems(object, spec, all));
  return problems;
}

function httpRouteProblems(
  route: K8sObject,
  spec: Record<string, unknown>,
  all: readonly K8sObject[],
): Problem[] {
  const namespace = route.metadata.namespace;
  const problems: Problem[] = [];
  list(spec.parentRefs).forEach((parent, i) => {
    const name = get(parent, 'name');
    if (!all.some((o) => o.kind === 'Gateway' && o.metadata.name === name)) {
      problems.push([`spec.parentRefs[${i}].name`, `no Gateway ${String(name)} in the render`]);
    }
  });
  if (list(spec.parentRefs).length === 0) problems.push(['spec.parentRefs', 'is required']);
  list(spec.rules).forEach((rule, r) => {
    list(get(rule, 'backendRefs')).forEach((ref, b) => {
      const path = `spec.rules[${r}].backendRefs[${b}]`;
      const service = all.find(
        (o) =>
          o.kind === 'Service' &&
          o.metadata.name === get(ref, 'name') &&
          (o.metadata.namespace ?? namespace) === (get(ref, 'namespace') ?? namespace),
      );
      if (service === undefined) {
        problems.push([`${path}.name`, `no Service ${String(get(ref, 'name'))} in the render`]);
      } else if (
        !list(get(service.spec, 'ports')).some((p) => get(p, 'port') === get(ref, 'port'))
      ) {
        problems.push([
          `${path}.port`,
          `Service/${service.metadata.name} has no port ${String(get(ref, 'port'))}`,
        ]);
      }
    });
    list(get(rule, 'matches')).forEach((match) => {
      const value = get(get(match, 'path'), 'value');
      const service =
        typeof value === 'string' ? /^\/api\/([a-z0-9-]+)$/.exec(value)?.[1] : undefined;
      if (service === undefined) return;
      const filters = list(get(rule, 'filters'));
      const rewrite = filters.find((f) => get(f, 'type') === 'URLRewrite');
      if (get(get(get(rewrite, 'urlRewrite'), 'path'), 'replacePrefixMatch') !== '/') {
        problems.push([
          `spec.rules[${r}].filters`,
          `a route under /api/${service} must replace that prefix by "/" (URLRewrite ReplacePrefixMatch)`,
        ]);
      }
      const headers = filters.find((f) => get(f, 'type') === 'RequestHeaderModifier');
      const set = list(get(get(headers, 'requestHeaderModifier'), 'set'));
      if (
        !set.some(
          (h) =>
            String(get(h, 'name')).toLowerCase() === 'x-forwarded-prefix' &&
            get(h, 'value') === `/api/${service}`,
        )
      ) {
        problems.push([
          `spec.rules[${r}].filters`,
          `a route under /api/${service} must set X-Forwarded-Prefix: /api/${service} (RequestHeaderModifier)`,
        ]);
      }
    });
  });
  return problems;
}
