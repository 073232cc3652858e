import type { IContainer, IPodSpec } from 'kubernetes-models/v1';
import {
  allContainers,
  type ContainerAt,
  handlersOf,
  isRecord,
  type K8sObject,
  longRunningKinds,
  type PodTemplate,
  podTemplateOf,
  refOf,
  runsPods,
  type Violation,
  valueAt,
} from './manifest.ts';

// Pod Security Standards, "restricted" profile (which includes "baseline"), as the API server
// enforces it for version `latest`:
// https://kubernetes.io/docs/concepts/security/pod-security-standards/ and, where that page lags,
// the admission code it documents (k8s.io/pod-security-admission/policy).

/** The only volume types "restricted" allows: none of them reaches into the node. */
const allowedVolumeTypes = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  // Allowed by the admission code since 1.33 (kubernetes/kubernetes#130394), not yet by the page.
  'image',
  'persistentVolumeClaim',
  'projected',
  'secret',
];

/** Sysctls that are namespaced and cannot affect other pods on the node. */
const safeSysctls = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ping_group_range',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.tcp_wmem',
]);

const confinedProfiles = new Set(['RuntimeDefault', 'Localhost']);
/** The annotation that set a container's AppArmor profile before the field did; still honoured. */
const appArmorAnnotationPrefix = 'container.apparmor.security.beta.kubernetes.io/';
const allowedSeLinuxTypes = new Set([
  'container_t',
  'container_init_t',
  'container_kvm_t',
  'container_engine_t',
]);

/** Pod Security Standard "restricted" on every object that runs pods. */
export function checkPodSecurity(objects: readonly K8sObject[]): Violation[] {
  return objects.flatMap((object) => {
    const template = podTemplateOf(object);
    if (template === undefined) return [];
    const found: [path: string, message: string][] = [
      ...podLevel(template),
      ...allContainers(template).flatMap((at) => containerLevel(template.spec, at)),
    ];
    return found.map(([path, message]) => ({
      check: 'pod-security',
      object: refOf(object),
      path,
      message,
    }));
  });
}

function podLevel({ spec, path, metadata, metadataPath }: PodTemplate): [string, string][] {
  const found: [string, string][] = [];
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (spec[field] === true) found.push([`${path}.${field}`, 'must not share the host namespace']);
  }
  const context = spec.securityContext ?? {};
  if (context.runAsNonRoot === false) {
    found.push([`${path}.securityContext.runAsNonRoot`, 'must not be false']);
  }
  if (context.runAsUser === 0) {
    found.push([`${path}.securityContext.runAsUser`, 'must not be 0 (root)']);
  }
  const seccomp = context.seccompProfile?.type;
  if (seccomp !== undefined && !confinedProfiles.has(seccomp)) {
    found.push([
      `${path}.securityContext.seccompProfile.type`,
      'must be RuntimeDefault or Localhost',
    ]);
  }
  const appArmor = context.appArmorProfile?.type;
  if (appArmor !== undefined && !confinedProfiles.has(appArmor)) {
    found.push([
      `${path}.securityContext.appArmorProfile.type`,
      'must be RuntimeDefault or Localhost',
    ]);
  }
  for (const [key, value] of Object.entries(metadata.annotations ?? {})) {
    if (!key.startsWith(appArmorAnnotationPrefix)) continue;
    if (!(value === '' || value === 'runtime/default' || value.startsWith('localhost/'))) {
      found.push([
        `${metadataPath}.annotations.${key}`,
        'must be runtime/default or localhost/<profile>',
      ]);
    }
  }
  found.push(...seLinux(context.seLinuxOptions, `${path}.securityContext.seLinuxOptions`));
  if (context.windowsOptions?.hostProcess === true) {
    found.push([`${path}.securityContext.windowsOptions.hostProcess`, 'must not be true']);
  }
  (context.sysctls ?? []).forEach((sysctl, index) => {
    if (!safeSysctls.has(sysctl.name)) {
      found.push([
        `${path}.securityContext.sysctls[${index}].name`,
        `${sysctl.name} is not a safe sysctl`,
      ]);
    }
  });
  (spec.volumes ?? []).forEach((volume, index) => {
    const types = Object.keys(volume).filter((key) => key !== 'name');
    for (const type of types.filter((t) => !allowedVolumeTypes.includes(t))) {
      found.push([`${path}.volumes[${index}].${type}`, `volume type ${type} is not allowed`]);
    }
  });
  return found;
}

function containerLevel(pod: IPodSpec, { container, path }: ContainerAt): [string, string][] {
  const found: [string, string][] = [];
  const podContext = pod.securityContext ?? {};
  const context = container.securityContext ?? {};
  const at = (field: string) => `${path}.securityContext.${field}`;

  if (context.privileged === true) found.push([at('privileged'), 'must not be privileged']);
  if (context.allowPrivilegeEscalation !== false) {
    found.push([at('allowPrivilegeEscalation'), 'must be false']);
  }
  // Either level may say runAsNonRoot: true, but a container must never say false.
  if (context.runAsNonRoot === false) {
    found.push([at('runAsNonRoot'), 'must not be false']);
  } else if (context.runAsNonRoot !== true && podContext.runAsNonRoot !== true) {
    found.push([at('runAsNonRoot'), 'must be true here or in the pod securityContext']);
  }
  if (context.runAsUser === 0) found.push([at('runAsUser'), 'must not be 0 (root)']);

  const seccomp = context.seccompProfile?.type;
  if (seccomp !== undefined && !confinedProfiles.has(seccomp)) {
    found.push([at('seccompProfile.type'), 'must be RuntimeDefault or Localhost']);
  } else if (seccomp === undefined && podContext.seccompProfile?.type === undefined) {
    found.push([at('seccompProfile.type'), 'must be set here or in the pod securityContext']);
  }
  const appArmor = context.appArmorProfile?.type;
  if (appArmor !== undefined && !confinedProfiles.has(appArmor)) {
    found.push([at('appArmorProfile.type'), 'must be RuntimeDefault or Localhost']);
  }
  found.push(...seLinux(context.seLinuxOptions, at('seLinuxOptions')));
  if (context.procMount !== undefined && context.procMount !== 'Default') {
    found.push([at('procMount'), 'must be Default']);
  }
  if (context.windowsOptions?.hostProcess === true) {
    found.push([at('windowsOptions.hostProcess'), 'must not be true']);
  }

  const capabilities = context.capabilities ?? {};
  if (!(capabilities.drop ?? []).includes('ALL')) {
    found.push([at('capabilities.drop'), 'must include ALL']);
  }
  (capabilities.add ?? []).forEach((capability, index) => {
    if (capability !== 'NET_BIND_SERVICE') {
      found.push([at(`capabilities.add[${index}]`), `${capability} may not be added`]);
    }
  });

  (container.ports ?? []).forEach((port, index) => {
    if (port.hostPort !== undefined && port.hostPort !== 0) {
      found.push([`${path}.ports[${index}].hostPort`, 'must not bind a host port']);
    }
  });
  // Baseline since 1.34: the kubelet makes these requests from the node, so any host but the
  // pod's own IP (the default) would let the pod reach whatever the node can.
  for (const { handler, field } of handlersOf(container)) {
    for (const action of ['httpGet', 'tcpSocket'] as const) {
      if (handler[action]?.host) {
        found.push([
          `${path}.${field}.${action}.host`,
          'must not be set: a probe or hook may only reach its own pod',
        ]);
      }
    }
  }
  return found;
}

function seLinux(
  options: { type?: string; user?: string; role?: string } | undefined,
  path: string,
) {
  const found: [string, string][] = [];
  if (options?.type && !allowedSeLinuxTypes.has(options.type)) {
    found.push([`${path}.type`, `${options.type} is not an allowed SELinux type`]);
  }
  if (options?.user) found.push([`${path}.user`, 'must not be set']);
  if (options?.role) found.push([`${path}.role`, 'must not be set']);
  return found;
}

/**
 * This project's rules on top of "restricted" (docs/architecture.md): a read-only root filesystem, CPU and
 * memory requests with a memory limit, and, for pods meant to keep running, all three probes.
 */
// The service kit's default for READINESS_TIMEOUT_MS (packages/service-kit/src/config.ts).
const kitReadinessTimeoutMs = 1_000;

/**
 * For a container built on the service kit (an image of ours), how long a readiness check may
 * take against how long the probe waits (its timeoutSeconds, 1 s when unset).
 */
function readinessBudget(container: IContainer): { checkMs: number; probeMs: number } | undefined {
  if (!container.image?.startsWith('quadrants/') || container.readinessProbe === undefined) {
    return undefined;
  }
  const set = container.env?.find((variable) => variable.name === 'READINESS_TIMEOUT_MS');
  return {
    checkMs: set?.value === undefined ? kitReadinessTimeoutMs : Number(set.value),
    probeMs: (container.readinessProbe.timeoutSeconds ?? 1) * 1_000,
  };
}

export function checkProjectRules(objects: readonly K8sObject[]): Violation[] {
  return objects.flatMap((object) => {
    const template = podTemplateOf(object);
    if (template === undefined) return [];
    const longRunning = longRunningKinds.has(object.kind);
    const found: [string, string][] = [];
    allContainers(template).forEach(({ container, path }) => {
      if (path.includes('.ephemeralContainers[')) return;
      if (container.securityContext?.readOnlyRootFilesystem !== true) {
        found.push([`${path}.securityContext.readOnlyRootFilesystem`, 'must be true']);
      }
      const resources = container.resources ?? {};
      for (const [field, value] of [
        ['requests.cpu', resources.requests?.cpu],
        ['requests.memory', resources.requests?.memory],
        ['limits.memory', resources.limits?.memory],
      ] as const) {
        if (value === undefined) found.push([`${path}.resources.${field}`, 'must be set']);
      }
      // Init containers run to completion, so probes do not apply to them.
      if (longRunning && path.includes('.containers[')) {
        for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
          if (container[probe] === undefined) found.push([`${path}.${probe}`, 'must be set']);
        }
        const readiness = readinessBudget(container);
        if (readiness !== undefined && readiness.checkMs >= readiness.probeMs) {
          found.push([
            `${path}.env.READINESS_TIMEOUT_MS`,
            `must be below the readiness probe's timeoutSeconds (${readiness.probeMs} ms), ` +
              `so a slow dependency reads as "not ready" rather than a probe timeout`,
          ]);
        }
      }
    });
    return found.map(([path, message]) => ({
      check: 'project',
      object: refOf(object),
      path,
      message,
    }));
  });
}

/**
 * Every namespace the overlay creates enforces "restricted", and every pod-running object lives
 * in one of them, so the API server would refuse what these checks refuse. Each also warns at
 * the same level and version: enforce applies only to pods, so a Deployment whose template
 * breaks the profile is refused by nothing but its warning, which scripts/kind-up's server-side
 * dry run turns into a stop before anything is applied.
 */
export function checkNamespaces(objects: readonly K8sObject[]): Violation[] {
  const found: Violation[] = [];
  const restricted = new Set<string>();
  const label = (mode: string) => `pod-security.kubernetes.io/${mode}`;
  for (const object of objects.filter((o) => o.kind === 'Namespace')) {
    const raw = valueAt(object, 'metadata.labels');
    const labels = isRecord(raw) ? raw : {};
    const violation = (mode: string, message: string) =>
      found.push({
        check: 'namespace',
        object: refOf(object),
        path: `metadata.labels.${label(mode)}`,
        message,
      });
    if (labels[label('enforce')] === 'restricted') {
      restricted.add(object.metadata.name);
    } else {
      violation('enforce', 'must be restricted');
    }
    const why =
      "a workload's pod template is refused only by this warning, which the server-side dry run " +
      'of scripts/kind-up stops on';
    if (labels[label('warn')] !== 'restricted') {
      violation('warn', `must be restricted, as enforce is: ${why}`);
    }
    // An unset version means latest, for either mode.
    const enforceVersion = labels[label('enforce-version')] ?? 'latest';
    if ((labels[label('warn-version')] ?? 'latest') !== enforceVersion) {
      violation('warn-version', `must be ${String(enforceVersion)}, as enforce-version is: ${why}`);
    }
  }
  for (const object of objects.filter(runsPods)) {
    const namespace = object.metadata.namespace;
    if (namespace === undefined || !restricted.has(namespace)) {
      found.push({
        check: 'namespace',
        object: refOf(object),
        path: 'metadata.namespace',
        message: `must be a namespace this overlay creates with enforce=restricted (is ${namespace ?? 'unset'})`,
      });
    }
  }
  return found;
}
