// scripts/kind-up's decisions, proved on a machine where no cluster can run: the real script,
// with kind, kubectl and docker replaced by stubs that log how they were called and answer as
// a scenario says. Only `kubectl kustomize` is real, so the overlay rendered is the real one.
// The script runs from a scratch copy of the repository's root, so a kind or kubectl in the
// repository's .tools/bin (scripts/install-kind) can never be reached from here.
import { execFileSync, spawn } from 'node:child_process';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

const stubs: Record<string, string> = {
  kind: `
case "$1" in
  version) echo "kind \${STUB_KIND_VERSION:-v0.33.0} go1.25.1 linux/amd64" ;;
  get) [ -z "\${STUB_CLUSTERS:-}" ] || echo "$STUB_CLUSTERS" ;;
esac`,
  kubectl: `
[ "$1" = --context ] && shift 2
[ "$1" = -n ] && shift 2
case "$1 \${2:-}" in
  "version --client") echo "Client Version: \${STUB_KUBECTL_VERSION:-v1.36.4}" ;;
  "kustomize "*) exec "$REAL_KUBECTL" "$@" ;;
  "get --raw") echo "{\\"major\\": \\"1\\", \\"gitVersion\\": \\"\${STUB_SERVER_VERSION:-v1.36.4}\\"}" ;;
  "get secret") [ -z "\${STUB_SECRET_EXISTS:-}" ] || echo "secret/$3" ;;
  "get statefulsets") [ -z "\${STUB_STATEFULSETS:-}" ] || echo "$STUB_STATEFULSETS" ;;
  # The shared class's volumes' paths, as kind-down's jsonpath prints them.
  "get persistentvolumes") printf '%b\\n' "\${STUB_SHARED_VOLUMES:-}" ;;
  "get jobs") [ -z "\${STUB_JOBS:-}" ] || echo "$STUB_JOBS" ;;
  # The stores' Deployments, and all the others, as kind-up asks for them by label.
  "get deployments")
    case "$*" in
      *component=store*) [ -z "\${STUB_STORE_DEPLOYMENTS:-}" ] || echo "$STUB_STORE_DEPLOYMENTS" ;;
      *component!=store*) [ -z "\${STUB_DEPLOYMENTS:-}" ] || echo "$STUB_DEPLOYMENTS" ;;
      *) echo "unexpected: $*" >&2; exit 1 ;;
    esac ;;
  # A Job's true conditions, one a line, as the jsonpath in kind-up prints them.
  "get job.batch/"*) printf '%b\\n' "\${STUB_JOB_CONDITIONS-SuccessCriteriaMet\\nComplete}" ;;
  # kind's provisioner's ConfigMap, and the config it logs having applied (logrus escapes quotes).
  "patch configmap") echo "\${STUB_PATCHED:-configmap/local-path-config patched}" ;;
  "logs deployment/local-path-provisioner")
    log='level=debug msg="Applied config: {\\"storageClassConfigs\\":{\\"quadrants-shared\\":{}}}"'
    printf '%s\\n' "\${STUB_PROVISIONER_LOG-$log}" ;;
  "create secret")
    # Each file it was given: its mode and content, for the test to look at. A password as
    # "password-file MODE CONTENT", any other key as "key-file SECRET KEY MODE CONTENT".
    for arg; do
      case "$arg" in
        --from-file=password=*)
          file="\${arg#--from-file=password=}"
          echo "password-file $(stat -c %a "$file") $(cat "$file")" >>"$STUB_LOG" ;;
        --from-file=*=*)
          spec="\${arg#--from-file=}"
          echo "key-file $4 \${spec%%=*} $(stat -c %a "\${spec#*=}") $(cat "\${spec#*=}")" >>"$STUB_LOG" ;;
      esac
    done ;;
  "apply "*)
    case "$*" in
      *--dry-run=server*) [ -z "\${STUB_DRY_RUN:-}" ] || echo "$STUB_DRY_RUN" >&2; exit "\${STUB_DRY_RUN_EXIT:-0}" ;;
      *--selector*) ;;
      *) cp "$3" "$STUB_APPLIED" ;;
    esac ;;
esac`,
  docker: `
case "$1 \${2:-}" in
  "info "*) exit "\${STUB_DOCKER_INFO_EXIT:-0}" ;;
  # A node container: it exists when STUB_NODES lists it (the three of kind-cluster.yaml unless
  # a scenario says otherwise); then its state, or the mounts' destinations, one a line.
  "inspect "*)
    node="\${*: -1}"
    case " \${STUB_NODES:-quadrants-control-plane quadrants-worker quadrants-worker2} " in
      *" $node "*) ;;
      *) echo "Error: No such object: $node" >&2; exit 1 ;;
    esac
    case "$*" in
      *Mounts*) printf '%s\\n' "\${STUB_NODE_MOUNTS-/var/local-path-provisioner-shared}" ;;
      *) echo "\${STUB_NODE_RUNNING:-true}" ;;
    esac ;;
  "version "*) echo linux/amd64 ;;
  # Each node port published on the same host port of 127.0.0.1, unless a scenario says otherwise.
  "port "*) published="\${STUB_PUBLISHED-127.0.0.1:\${3%/*}}"; [ -z "$published" ] || echo "$published" ;;
  "image save")
    case "$*" in *--help*) echo "      --platform string   Save only the given platform" ; exit 0 ;; esac
    while [ $# -gt 0 ]; do [ "$1" = --output ] && : >"$2"; shift; done ;;
esac`,
};

let root: string;
let bin: string;
let log: string;
/** The overlay as kind-up finally applied it. */
let applied: string;
/** The real kubectl, found before the stubs go first on PATH, for the stub to hand `kustomize`. */
const realKubectl = execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kind-up-'));
  bin = join(root, 'stub-bin');
  log = join(root, 'calls.log');
  applied = join(root, 'applied.yaml');
  await mkdir(join(root, 'scripts'));
  await mkdir(bin);
  for (const file of ['kind-up', 'kind-down', 'env.sh', 'kind-versions.env']) {
    await copyFile(join(repo, 'scripts', file), join(root, 'scripts', file));
  }
  await symlink(join(repo, 'k8s'), join(root, 'k8s'));
  await symlink(join(repo, 'services'), join(root, 'services'));
  for (const [name, body] of Object.entries(stubs)) {
    const path = join(bin, name);
    await writeFile(
      path,
      `#!/usr/bin/env bash\necho "${name} $*" >>"$STUB_LOG"\n${body}\nexit 0\n`,
    );
    await chmod(path, 0o755);
  }
});

afterAll(() => rm(root, { recursive: true, force: true }));

async function kindUp(scenario: Record<string, string>, script = 'kind-up') {
  await rm(log, { force: true });
  await rm(applied, { force: true });
  const child = spawn('bash', [join(root, 'scripts', script)], {
    env: {
      PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`,
      HOME: root,
      STUB_LOG: log,
      STUB_APPLIED: applied,
      REAL_KUBECTL: realKubectl,
      KIND_METRICS_SERVER: '0',
      ...scenario,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const calls = (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return { code, stdout, stderr, calls };
}

const created = (calls: string[]) => calls.some((call) => call.startsWith('kind create'));
/** Where the first call matching `pattern` is in the log; -1 when there is none. */
const indexOf = (calls: string[], pattern: RegExp) => calls.findIndex((call) => pattern.test(call));
/** The random passwords kind-up wrote for a new Secret, with the mode of the file it used. */
const passwordsOf = (calls: string[]) =>
  calls.flatMap((call) => {
    const [, mode, password] = /^password-file (\d+) (.*)$/.exec(call) ?? [];
    return mode === undefined ? [] : [{ mode, password }];
  });
/** The keys kind-up wrote for a new Secret of several keys, with the mode of each key's file. */
const keysOf = (calls: string[]) =>
  calls.flatMap((call) => {
    const [, secret, key, mode, value] = /^key-file (\S+) (\S+) (\d+) (.*)$/.exec(call) ?? [];
    return mode === undefined ? [] : [{ secret, key, mode, value }];
  });

describe('scripts/kind-up', () => {
  test('refuses a kind older than the pinned release, before touching anything', async () => {
    const run = await kindUp({ STUB_KIND_VERSION: 'v0.20.0' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/kind v0\.20\.0 is older than v0\.33\.0.*scripts\/install-kind/);
    expect(created(run.calls)).toBe(false);
  });

  test('refuses a kubectl more than one minor version from the cluster', async () => {
    const run = await kindUp({ STUB_KUBECTL_VERSION: 'v1.32.4' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/kubectl v1\.32\.4 is more than one minor version away.*v1\.36\.4/);
    expect(created(run.calls)).toBe(false);
  });

  test('refuses a KIND_ROLLOUT_TIMEOUT it cannot count in seconds, before touching anything', async () => {
    const run = await kindUp({ KIND_ROLLOUT_TIMEOUT: '2m30s' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/KIND_ROLLOUT_TIMEOUT=2m30s: give seconds or minutes/);
    expect(run.calls).toEqual([]);
  });

  test('refuses a kubectl so old that it prints its version as a Go struct', async () => {
    const run = await kindUp({ STUB_KUBECTL_VERSION: 'version.Info{Major:"1", Minor:"20"}' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/kubectl \S+ is older than 1\.28/);
  });

  test('refuses a KIND_OVERLAY that is not a folder of k8s/overlays, before touching anything', async () => {
    for (const name of ['kind-nope', '../overlays/kind', 'kind/']) {
      const run = await kindUp({ KIND_OVERLAY: name });
      expect(run.code, name).toBe(1);
      expect(run.stderr).toMatch(/KIND_OVERLAY=\S*: not an overlay/);
      expect(run.calls).toEqual([]);
    }
  });

  test('says so when no Docker engine answers', async () => {
    const run = await kindUp({ STUB_DOCKER_INFO_EXIT: '1' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no Docker engine answers/);
  });

  describe('with a host port it would map already taken', () => {
    let holder: Server | undefined;
    beforeAll(async () => {
      // Held by this test, unless something else on the machine already holds it.
      holder = createServer();
      await new Promise<void>((resolve) => {
        holder?.once('error', () => resolve()).listen(30084, '127.0.0.1', () => resolve());
      });
    });
    afterAll(() => new Promise<void>((resolve) => holder?.close(() => resolve()) ?? resolve()));

    test('names the port before creating a cluster', async () => {
      const run = await kindUp({});
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/127\.0\.0\.1:30084 is in use.*node port 30084/);
      expect(created(run.calls)).toBe(false);
    });
  });

  test('says how to start a cluster whose nodes are stopped, before asking its API server', async () => {
    const run = await kindUp({ STUB_CLUSTERS: 'quadrants', STUB_NODE_RUNNING: 'false' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /not running .*docker start quadrants-control-plane quadrants-worker quadrants-worker2\)/,
    );
    expect(run.calls.some((call) => call.includes('get --raw'))).toBe(false);
  });

  test('refuses to reuse a cluster with fewer nodes than kind-cluster.yaml asks for', async () => {
    // A cluster from the one-node kind-cluster.yaml of before uploads.
    const run = await kindUp({ STUB_CLUSTERS: 'quadrants', STUB_NODES: 'quadrants-control-plane' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/has no node quadrants-worker, .*scripts\/kind-down/);
    expect(run.calls.some((call) => call.includes('get --raw'))).toBe(false);
  });

  test('refuses to reuse a cluster whose nodes do not mount the shared directory', async () => {
    const run = await kindUp({ STUB_CLUSTERS: 'quadrants', STUB_NODE_MOUNTS: '/var' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /node quadrants-control-plane .* does not mount the shared directory at \/var\/local-path-provisioner-shared.*scripts\/kind-down/,
    );
    expect(run.calls.some((call) => / patch configmap /.test(call))).toBe(false);
  });

  test('refuses to reuse a cluster of another Kubernetes minor', async () => {
    const run = await kindUp({ STUB_CLUSTERS: 'quadrants', STUB_SERVER_VERSION: 'v1.31.2' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/runs Kubernetes v1\.31\.2.*pins v1\.36\.4.*scripts\/kind-down/);
  });

  test('refuses to reuse a cluster without the port mappings kind-cluster.yaml asks for', async () => {
    const run = await kindUp({ STUB_CLUSTERS: 'quadrants', STUB_PUBLISHED: '' });
    expect(run.code).toBe(1);
    // The first mapping kind-cluster.yaml lists: the one origin's.
    expect(run.stderr).toMatch(/does not map 127\.0\.0\.1:30080 to its node port 30080/);
  });

  describe('uploads: the shared directory behind its ReadWriteMany class', () => {
    test('builds uploads’ image from its Dockerfile, loads it, and applies the overlay that runs it', async () => {
      const run = await kindUp({ STUB_CLUSTERS: 'quadrants' });
      expect(run.code).toBe(0);
      expect(run.calls).toContainEqual(
        expect.stringMatching(
          /^docker build --file services\/uploads\/Dockerfile --tag quadrants\/uploads:dev /,
        ),
      );
      expect(run.calls).toContainEqual(
        expect.stringMatching(
          /^docker image save --platform linux\/amd64 --output \S+ quadrants\/uploads:dev$/,
        ),
      );
      const overlay = await readFile(applied, 'utf8');
      expect(overlay.match(/image: quadrants\/uploads:dev$/gm)).toHaveLength(1);
      expect(overlay).toMatch(/^ {2}name: quadrants-shared$/m);
    });

    test('makes the host directory every node mounts before it creates the cluster', async () => {
      const shared = join(root, '.kind-up', 'shared');
      await rm(shared, { recursive: true, force: true });
      const run = await kindUp({});
      expect(run.code).toBe(0);
      expect(run.calls).toContainEqual(
        'kind create cluster --name quadrants --config k8s/overlays/kind/kind-cluster.yaml --wait 120s',
      );
      // Made by this user (Docker would make a missing one as root).
      expect((await stat(shared)).isDirectory()).toBe(true);
    });

    test('configures kind’s provisioner for the shared class, restarts it, then applies', async () => {
      const run = await kindUp({ STUB_CLUSTERS: 'quadrants' });
      expect(run.code).toBe(0);
      const patched = indexOf(
        run.calls,
        /-n local-path-storage patch configmap local-path-config --type merge --patch-file k8s\/overlays\/kind\/local-path-config\.yaml$/,
      );
      const restarted = indexOf(
        run.calls,
        /-n local-path-storage rollout restart deployment\/local-path-provisioner$/,
      );
      const waited = indexOf(
        run.calls,
        /-n local-path-storage rollout status deployment\/local-path-provisioner /,
      );
      expect(patched).toBeGreaterThan(-1);
      expect(restarted).toBeGreaterThan(patched);
      expect(waited).toBeGreaterThan(restarted);
      // Before uploads' claim, which is provisioned as soon as it is applied.
      expect(waited).toBeLessThan(indexOf(run.calls, /apply --filename \S+ --selector /));
    });

    test('leaves the provisioner running when its config is already the shared one', async () => {
      const run = await kindUp({
        STUB_CLUSTERS: 'quadrants',
        STUB_PATCHED: 'configmap/local-path-config patched (no change)',
      });
      expect(run.code).toBe(0);
      expect(
        run.calls.some((call) => / rollout restart deployment\/local-path-provisioner/.test(call)),
      ).toBe(false);
    });

    test('stops before applying when the provisioner does not apply the shared class', async () => {
      // A provisioner older than storageClassConfigs logs its config without it.
      const run = await kindUp({
        STUB_CLUSTERS: 'quadrants',
        STUB_PROVISIONER_LOG: 'level=debug msg="Applied config: {\\"nodePathMap\\":[]}"',
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/did not apply \S+local-path-config\.yaml.*storageClassConfigs/);
      expect(run.calls.some((call) => / apply --filename /.test(call))).toBe(false);
    }, 30_000);
  });

  test('loads one-platform archives, and stops at a Pod Security refusal in the dry run', async () => {
    const refusal =
      'Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false';
    const run = await kindUp({ STUB_CLUSTERS: 'quadrants', STUB_DRY_RUN: refusal });
    expect(run.calls).toContainEqual(
      expect.stringMatching(
        /^docker image save --platform linux\/amd64 --output \S+ quadrants\/geo:dev$/,
      ),
    );
    expect(run.calls).toContainEqual(
      expect.stringMatching(/^kind load image-archive \S+ --name quadrants$/),
    );
    expect(run.calls.some((call) => call.startsWith('kind load docker-image'))).toBe(false);
    // Envoy Gateway's release (its CRDs), the namespaces, then the dry run, and nothing else
    // applied after the refusal.
    const applies = run.calls.filter((call) =>
      call.startsWith('kubectl --context kind-quadrants apply'),
    );
    expect(applies).toEqual([
      expect.stringMatching(
        /apply --server-side --force-conflicts --filename https:\/\/github\.com\/envoyproxy\/gateway\/releases\/download\/v\d+\.\d+\.\d+\/install\.yaml$/,
      ),
      expect.stringMatching(/--selector pod-security\.kubernetes\.io\/enforce$/),
      expect.stringMatching(/--dry-run=server$/),
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(refusal);
    expect(run.stderr).toMatch(/Pod Security admission would refuse these pods/);
  });

  test('applies the overlay once the dry run is clean', async () => {
    const run = await kindUp({ STUB_CLUSTERS: 'quadrants' });
    expect(run.code).toBe(0);
    const applies = run.calls.filter((call) =>
      call.startsWith('kubectl --context kind-quadrants apply'),
    );
    expect(applies).toHaveLength(4);
    expect(applies[0]).toMatch(/--server-side --force-conflicts --filename \S+\/install\.yaml$/);
    expect(applies[3]).toMatch(/apply --filename \S+overlay\.yaml$/);
  });

  describe('transactions: its Secret, its migration Job and its PostgreSQL', () => {
    // Two runs of the script: twice the time one test may take.
    test('creates the Secret with a random password, in a file only this user reads, when it is missing', async () => {
      const first = await kindUp({ STUB_CLUSTERS: 'quadrants' });
      const second = await kindUp({ STUB_CLUSTERS: 'quadrants' });
      expect(first.code).toBe(0);
      expect(first.calls).toContainEqual(
        expect.stringMatching(
          /^kubectl --context kind-quadrants -n quadrants create secret generic transactions-postgres --from-file=password=\S+$/,
        ),
      );
      const [made] = passwordsOf(first.calls);
      const [madeAgain] = passwordsOf(second.calls);
      expect(made).toEqual({ mode: '600', password: expect.stringMatching(/^[0-9a-f]{48}$/) });
      expect(madeAgain?.password).not.toBe(made?.password);
      // After the dry run, so a refused overlay leaves nothing behind; before the pods need it.
      const createdAt = indexOf(first.calls, / create secret /);
      expect(createdAt).toBeGreaterThan(indexOf(first.calls, /--dry-run=server$/));
      expect(createdAt).toBeLessThan(indexOf(first.calls, /apply --filename \S+overlay\.yaml$/));
    }, 60_000);

    test('never replaces an existing Secret: the data directory was initialised with it', async () => {
      const run = await kindUp({ STUB_CLUSTERS: 'quadrants', STUB_SECRET_EXISTS: '1' });
      expect(run.code).toBe(0);
      expect(run.calls).toContainEqual(
        expect.stringMatching(/ -n quadrants get secret transactions-postgres --ignore-not-found/),
      );
      expect(run.calls.some((call) => / (create|delete) secret/.test(call))).toBe(false);
      expect(passwordsOf(run.calls)).toEqual([]);
    });

    test('deletes the last migration Job before the dry run, so the new image migrates', async () => {
      const run = await kindUp({ STUB_CLUSTERS: 'quadrants' });
      const deletedAt = indexOf(run.calls, / -n quadrants delete jobs --all /);
      expect(deletedAt).toBeGreaterThan(indexOf(run.calls, /--selector pod-security/));
      expect(deletedAt).toBeLessThan(indexOf(run.calls, /--dry-run=server$/));
    });

    test('waits for PostgreSQL, then for the migration to complete, then for the APIs', async () => {
      const run = await kindUp({
        STUB_CLUSTERS: 'quadrants',
        STUB_STATEFULSETS: 'statefulset.apps/transactions-postgres',
        STUB_JOBS: 'job.batch/transactions-migrate',
        STUB_DEPLOYMENTS: 'deployment.apps/geo\ndeployment.apps/transactions',
      });
      expect(run.code).toBe(0);
      const database = indexOf(
        run.calls,
        /rollout status statefulset\.apps\/transactions-postgres /,
      );
      const migration = indexOf(run.calls, /get job\.batch\/transactions-migrate /);
      const api = indexOf(run.calls, /rollout status deployment\.apps\/transactions /);
      expect(database).toBeGreaterThan(-1);
      expect(migration).toBeGreaterThan(database);
      expect(api).toBeGreaterThan(migration);
      expect(run.stdout).toMatch(/job\.batch\/transactions-migrate completed/);
    });

    test('stops at a failed migration and shows its pods’ logs, before waiting for the APIs', async () => {
      const run = await kindUp({
        STUB_CLUSTERS: 'quadrants',
        STUB_JOBS: 'job.batch/transactions-migrate',
        STUB_DEPLOYMENTS: 'deployment.apps/transactions',
        STUB_JOB_CONDITIONS: 'FailureTarget\nFailed',
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/job\.batch\/transactions-migrate failed \(its pods, their logs/);
      expect(run.calls).toContainEqual(
        expect.stringMatching(
          / -n quadrants logs --selector batch\.kubernetes\.io\/job-name=transactions-migrate --all-containers --prefix --tail=-1$/,
        ),
      );
      expect(
        run.calls.some((call) => call.includes('-n quadrants rollout status deployment')),
      ).toBe(false);
    });

    test('loads PostgreSQL’s image when Docker has it, and POSTGRES_IMAGE replaces it everywhere', async () => {
      const official = await kindUp({ STUB_CLUSTERS: 'quadrants' });
      expect(official.calls).toContainEqual(
        expect.stringMatching(
          /^docker image save --platform linux\/amd64 --output \S+ postgres:18-bookworm$/,
        ),
      );

      const offline = await kindUp({
        STUB_CLUSTERS: 'quadrants',
        POSTGRES_IMAGE: 'quadrants/postgres:15',
      });
      expect(offline.code).toBe(0);
      expect(offline.calls).toContainEqual(
        expect.stringMatching(
          /^docker image save --platform linux\/amd64 --output \S+ quadrants\/postgres:15$/,
        ),
      );
      const overlay = await readFile(applied, 'utf8');
      // The StatefulSet and the Job's wait for it.
      expect(overlay.match(/image: quadrants\/postgres:15$/gm)).toHaveLength(2);
      expect(overlay).not.toMatch(/image: postgres:/);
    });
  });
  describe('static-site: its object store’s key pair, its image and its seed', () => {
    test('creates the Secret static-site-s3 with a random key pair, in files only this user reads, when it is missing', async () => {
      const run = await kindUp({ STUB_CLUSTERS: 'quadrants' });
      expect(run.code).toBe(0);
      expect(run.calls).toContainEqual(
        expect.stringMatching(
          /^kubectl --context kind-quadrants -n quadrants create secret generic static-site-s3 --from-file=access-key-id=\S+ --from-file=secret-access-key=\S+$/,
        ),
      );
      expect(keysOf(run.calls)).toEqual([
        {
          secret: 'static-site-s3',
          key: 'access-key-id',
          mode: '600',
          value: expect.stringMatching(/^[0-9a-f]{20}$/),
        },
        {
          secret: 'static-site-s3',
          key: 'secret-access-key',
          mode: '600',
          value: expect.stringMatching(/^[0-9a-f]{48}$/),
        },
      ]);
      const createdAt = indexOf(run.calls, / create secret generic static-site-s3 /);
      expect(createdAt).toBeGreaterThan(indexOf(run.calls, /--dry-run=server$/));
      expect(createdAt).toBeLessThan(indexOf(run.calls, /apply --filename \S+overlay\.yaml$/));
    });

    test('never replaces static-site-s3: the store keeps the identity it first started with', async () => {
      const run = await kindUp({ STUB_CLUSTERS: 'quadrants', STUB_SECRET_EXISTS: '1' });
      expect(run.code).toBe(0);
      expect(run.calls).toContainEqual(
        expect.stringMatching(/ -n quadrants get secret static-site-s3 --ignore-not-found/),
      );
      expect(keysOf(run.calls)).toEqual([]);
    });

    test('S3_IMAGE replaces the object store’s image, not static-site’s', async () => {
      const offline = await kindUp({ STUB_CLUSTERS: 'quadrants', S3_IMAGE: 'quadrants/s3:dev' });
      expect(offline.code).toBe(0);
      expect(offline.stdout).toMatch(
        /static-site's object store from quadrants\/s3:dev \(S3_IMAGE\)/,
      );
      const overlay = await readFile(applied, 'utf8');
      expect(overlay.match(/image: quadrants\/s3:dev$/gm)).toHaveLength(1);
      expect(overlay).not.toMatch(/image: chrislusf\//);
      // The server's Deployment (initContainer and container) and the seed Job.
      expect(overlay.match(/image: quadrants\/static-site:dev$/gm)).toHaveLength(3);
    });

    test('on a reused cluster restarts static-site only once the seed has completed', async () => {
      const run = await kindUp({
        STUB_CLUSTERS: 'quadrants',
        STUB_STATEFULSETS: 'statefulset.apps/static-site-s3',
        STUB_JOBS: 'job.batch/static-site-seed',
        STUB_DEPLOYMENTS: 'deployment.apps/static-site',
      });
      expect(run.code).toBe(0);
      const store = indexOf(run.calls, /rollout status statefulset\.apps\/static-site-s3 /);
      const seed = indexOf(run.calls, /get job\.batch\/static-site-seed /);
      const restart = indexOf(run.calls, / rollout restart deployment\.apps\/static-site$/);
      const rollout = indexOf(run.calls, /rollout status deployment\.apps\/static-site /);
      expect(store).toBeGreaterThan(-1);
      expect(seed).toBeGreaterThan(store);
      expect(restart).toBeGreaterThan(seed);
      expect(rollout).toBeGreaterThan(restart);
    });

    test('stops at a failed seed and restarts nothing', async () => {
      const run = await kindUp({
        STUB_CLUSTERS: 'quadrants',
        STUB_JOBS: 'job.batch/static-site-seed',
        STUB_DEPLOYMENTS: 'deployment.apps/static-site',
        STUB_JOB_CONDITIONS: 'FailureTarget\nFailed',
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/job\.batch\/static-site-seed failed/);
      // The old pods keep serving the site they synced.
      expect(run.calls.some((call) => /-n quadrants rollout restart /.test(call))).toBe(false);
    });
  });

  describe('basket: its Secret, its store and the persistent-basket overlay', () => {
    test('creates the Secret basket-redis with its own random password, beside PostgreSQL’s', async () => {
      const run = await kindUp({ STUB_CLUSTERS: 'quadrants' });
      expect(run.code).toBe(0);
      expect(run.calls).toContainEqual(
        expect.stringMatching(
          /^kubectl --context kind-quadrants -n quadrants create secret generic basket-redis --from-file=password=\S+$/,
        ),
      );
      const passwords = passwordsOf(run.calls);
      expect(passwords).toEqual([
        { mode: '600', password: expect.stringMatching(/^[0-9a-f]{48}$/) },
        { mode: '600', password: expect.stringMatching(/^[0-9a-f]{48}$/) },
      ]);
      expect(passwords[0]?.password).not.toBe(passwords[1]?.password);
      const createdAt = indexOf(run.calls, / create secret generic basket-redis /);
      expect(createdAt).toBeGreaterThan(indexOf(run.calls, /--dry-run=server$/));
      expect(createdAt).toBeLessThan(indexOf(run.calls, /apply --filename \S+overlay\.yaml$/));
    });

    test('never replaces basket-redis either: the store and the API would disagree', async () => {
      const run = await kindUp({ STUB_CLUSTERS: 'quadrants', STUB_SECRET_EXISTS: '1' });
      expect(run.code).toBe(0);
      expect(run.calls).toContainEqual(
        expect.stringMatching(/ -n quadrants get secret basket-redis --ignore-not-found/),
      );
      expect(passwordsOf(run.calls)).toEqual([]);
    });

    test('waits for the store, then for the APIs, and never restarts the store', async () => {
      const run = await kindUp({
        STUB_CLUSTERS: 'quadrants',
        STUB_STATEFULSETS: 'statefulset.apps/transactions-postgres',
        STUB_STORE_DEPLOYMENTS: 'deployment.apps/basket-redis',
        STUB_DEPLOYMENTS: 'deployment.apps/basket\ndeployment.apps/geo',
      });
      expect(run.code).toBe(0);
      const store = indexOf(run.calls, /rollout status deployment\.apps\/basket-redis /);
      const api = indexOf(run.calls, /rollout status deployment\.apps\/basket /);
      expect(store).toBeGreaterThan(-1);
      expect(api).toBeGreaterThan(store);
      // A reused cluster's services move to the new images; the in-memory store keeps running.
      expect(run.calls).toContainEqual(
        expect.stringMatching(/ rollout restart deployment\.apps\/basket$/),
      );
      expect(
        run.calls.some((call) => / rollout restart deployment\.apps\/basket-redis/.test(call)),
      ).toBe(false);
      expect(run.calls).toContainEqual(
        expect.stringMatching(/ get deployments --selector app\.kubernetes\.io\/component=store /),
      );
    });

    // Two runs of the script: twice the time one test may take.
    test('loads Valkey’s image when Docker has it, and REDIS_IMAGE replaces it', async () => {
      const official = await kindUp({ STUB_CLUSTERS: 'quadrants' });
      expect(official.calls).toContainEqual(
        expect.stringMatching(
          /^docker image save --platform linux\/amd64 --output \S+ valkey\/valkey:9\.1-trixie$/,
        ),
      );

      const offline = await kindUp({
        STUB_CLUSTERS: 'quadrants',
        REDIS_IMAGE: 'quadrants/redis:7',
      });
      expect(offline.code).toBe(0);
      expect(offline.stdout).toMatch(/basket's store from quadrants\/redis:7 \(REDIS_IMAGE\)/);
      expect(offline.calls).toContainEqual(
        expect.stringMatching(
          /^docker image save --platform linux\/amd64 --output \S+ quadrants\/redis:7$/,
        ),
      );
      const overlay = await readFile(applied, 'utf8');
      expect(overlay.match(/image: quadrants\/redis:7$/gm)).toHaveLength(1);
      expect(overlay).not.toMatch(/image: valkey\//);
    }, 60_000);

    test('KIND_OVERLAY=kind-persistent-basket applies that overlay, on the same cluster', async () => {
      const run = await kindUp({
        STUB_CLUSTERS: 'quadrants',
        KIND_OVERLAY: 'kind-persistent-basket',
      });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/applying k8s\/overlays\/kind-persistent-basket/);
      const overlay = await readFile(applied, 'utf8');
      expect(overlay).toMatch(
        /^kind: PersistentVolumeClaim\n(.*\n)*? {2}name: basket-redis-data$/m,
      );
      expect(overlay).toMatch(/- --appendonly\n\s+- "yes"\n/);
      // The cluster is kind's: its config, its port mappings.
      expect(run.calls.some((call) => call.startsWith('kind create'))).toBe(false);
    });
  });
});

describe('scripts/kind-down', () => {
  test('deletes the files of the cluster’s shared volumes from a node, then the cluster', async () => {
    const run = await kindUp(
      {
        STUB_CLUSTERS: 'quadrants',
        STUB_SHARED_VOLUMES:
          '/var/local-path-provisioner-shared/pvc-1_quadrants_uploads\\n/etc\\n' +
          '/var/local-path-provisioner-shared/../../etc',
      },
      'kind-down',
    );
    expect(run.code).toBe(0);
    const deletions = run.calls.filter((call) => call.startsWith('docker exec'));
    // As root in the node, since the files are the pods' users'; never outside the directory.
    expect(deletions).toEqual([
      'docker exec quadrants-control-plane rm -rf -- /var/local-path-provisioner-shared/pvc-1_quadrants_uploads',
    ]);
    expect(indexOf(run.calls, /^kind delete cluster --name quadrants$/)).toBeGreaterThan(
      indexOf(run.calls, /^docker exec /),
    );
  });

  test('says so when there is no cluster, and deletes nothing', async () => {
    const run = await kindUp({}, 'kind-down');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/no kind cluster named quadrants/);
    expect(run.calls.some((call) => call.startsWith('docker exec'))).toBe(false);
  });
});
