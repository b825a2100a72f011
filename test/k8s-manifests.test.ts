/**
 * The Kubernetes manifests in deploy/k8s/ against the Kubernetes API schema, with
 * `kubernetes-validate` (PyPI; it bundles the API's JSON schemas, so it works offline) in strict
 * mode, which rejects unknown fields; and their settings against the worker's: the drain fits the
 * termination grace period, the probes and the Prometheus port are the ones the worker serves.
 *
 * The validator comes from `npm run setup:k8s` (a virtual environment in .steadfast/k8s). Without
 * it the suite fails in CI and skips elsewhere, with the command to run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { msToNumber } from '@temporalio/common/lib/time';
import { PROJECT_ROOT } from '../src/platform/config';
import { metricsBindAddress } from '../src/platform/runtime';
import { loadWorkerProcessConfig } from '../src/worker/run-worker';

const MANIFESTS = path.join(PROJECT_ROOT, 'deploy', 'k8s');
const VENV = path.join(PROJECT_ROOT, '.steadfast', 'k8s', 'bin');
const VALIDATOR = path.join(VENV, 'kubernetes-validate');
/** The oldest Kubernetes the manifests promise to work on, and the newest the validator knows. */
const VERSIONS = ['1.30.0', '1.37.0'];

function isCI(): boolean {
  const ci = process.env.CI?.trim();
  return Boolean(ci) && ci !== 'false';
}

/** The parts of the resources this test reads. */
interface Resource {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
  spec?: { template: PodTemplate };
}
interface HttpProbe {
  httpGet: { path: string; port: string };
}
interface PodTemplate {
  metadata: { annotations: Record<string, string> };
  spec: {
    terminationGracePeriodSeconds: number;
    volumes: Array<{ name: string; secret?: { secretName: string } }>;
    containers: Array<{
      envFrom: unknown;
      env: Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string } } }>;
      ports: Array<{ name: string; containerPort: number }>;
      readinessProbe: HttpProbe;
      livenessProbe: HttpProbe;
      startupProbe: HttpProbe;
      volumeMounts: Array<{ mountPath: string; readOnly?: boolean }>;
    }>;
  };
}

/** Every document of every manifest, parsed by the validator's own YAML library. */
function loadManifests(files: string[]): Array<{ file: string; doc: Resource }> {
  const script = 'import json, sys, yaml\nprint(json.dumps([[f, d] for f in sys.argv[1:] for d in yaml.safe_load_all(open(f)) if d]))';
  const out = spawnSync(path.join(VENV, 'python'), ['-c', script, ...files], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return (JSON.parse(out.stdout) as Array<[string, Resource]>).map(([file, doc]) => ({ file: path.basename(file), doc }));
}

describe('Kubernetes manifests (deploy/k8s/)', function () {
  this.timeout(60_000);
  const files = fs
    .readdirSync(MANIFESTS)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => path.join(MANIFESTS, f));

  before(function () {
    if (fs.existsSync(VALIDATOR)) return;
    const reason = `no validator at ${path.relative(PROJECT_ROOT, VALIDATOR)}: run "npm run setup:k8s"`;
    if (isCI()) throw new Error(`CI=${process.env.CI}, so the manifests must be validated, but there is ${reason}`);
    console.log(`      (skipping: ${reason})`);
    this.skip();
  });

  for (const version of VERSIONS) {
    it(`each resource validates against the Kubernetes ${version} API schema, strictly`, function () {
      const out = spawnSync(VALIDATOR, ['--strict', '--kubernetes-version', version, ...files], { encoding: 'utf8' });
      assert.equal(out.status, 0, `${out.stdout}${out.stderr}`);
      const passed = out.stdout.split('\n').filter((l) => l.includes(' passed for resource '));
      assert.deepEqual(
        passed.map((l) => /passed for resource (\S+)/.exec(l)![1]).sort(),
        ['configmap/steadfast-worker', 'deployment/steadfast-worker', 'poddisruptionbudget/steadfast-worker'],
      );
    });
  }

  it('the validator rejects a misspelt field (it is strict, and its schemas are on this machine)', function () {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-k8s-'));
    try {
      const bad = path.join(scratch, 'deployment.yaml');
      const text = fs.readFileSync(path.join(MANIFESTS, 'deployment.yaml'), 'utf8');
      fs.writeFileSync(bad, text.replace('terminationGracePeriodSeconds:', 'terminationGracePeriod:'));
      const out = spawnSync(VALIDATOR, ['--strict', bad], { encoding: 'utf8' });
      assert.equal(out.status, 1, `${out.stdout}${out.stderr}`);
      assert.match(`${out.stdout}${out.stderr}`, /'terminationGracePeriod' was unexpected/);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });

  it("the worker's drain, probes and metrics port agree with the worker's settings", function () {
    const docs = loadManifests(files);
    const configMap = docs.find((d) => d.doc.kind === 'ConfigMap')!.doc;
    const deployment = docs.find((d) => d.doc.kind === 'Deployment')!.doc;
    const env = configMap.data!;
    const pod = deployment.spec!.template;
    const container = pod.spec.containers[0];
    assert.deepEqual(container.envFrom, [{ configMapRef: { name: configMap.metadata.name } }]);

    // The worker accepts the ConfigMap's settings.
    const worker = loadWorkerProcessConfig({ ...env, STEADFAST_STORE: 'postgres://db/steadfast' });
    // The drain (grace, then the SDK's force time 5 s later) ends before the kubelet's SIGKILL.
    assert.equal(worker.shutdownGraceMs, msToNumber(env.STEADFAST_SHUTDOWN_GRACE as '45s'));
    assert.ok(
      worker.shutdownGraceMs! + 5_000 < pod.spec.terminationGracePeriodSeconds * 1000,
      `STEADFAST_SHUTDOWN_GRACE ${env.STEADFAST_SHUTDOWN_GRACE} + 5 s must end inside terminationGracePeriodSeconds ${pod.spec.terminationGracePeriodSeconds}`,
    );

    // Probes on the health endpoint the worker serves, reachable on the pod's address.
    const ports = Object.fromEntries(container.ports.map((p) => [p.name, p.containerPort]));
    assert.equal(worker.healthBind, `0.0.0.0:${ports.health}`);
    assert.deepEqual(container.readinessProbe.httpGet, { path: '/readyz', port: 'health' });
    assert.deepEqual(container.livenessProbe.httpGet, { path: '/healthz', port: 'health' });
    assert.deepEqual(container.startupProbe.httpGet, { path: '/healthz', port: 'health' });

    // Prometheus scrapes the port the SDK's exporter listens on.
    assert.equal(metricsBindAddress(env.STEADFAST_METRICS_PORT), `0.0.0.0:${ports.metrics}`);
    assert.deepEqual(
      [pod.metadata.annotations['prometheus.io/scrape'], pod.metadata.annotations['prometheus.io/port'], pod.metadata.annotations['prometheus.io/path']],
      ['true', String(ports.metrics), '/metrics'],
    );

    // Secrets by reference only: the store URL, the codec keys and the TLS client certificate.
    assert.equal(container.env.find((e) => e.name === 'STEADFAST_STORE')?.valueFrom?.secretKeyRef?.name, 'steadfast-store');
    const secretVolumes = pod.spec.volumes.flatMap((v) => (v.secret ? [v.secret.secretName] : [])).sort();
    assert.deepEqual(secretVolumes, ['steadfast-codec-keys', 'steadfast-temporal-tls']);
    for (const file of [env.STEADFAST_CODEC_KEYS_FILE, env.TEMPORAL_TLS_CLIENT_CERT_PATH, env.TEMPORAL_TLS_CLIENT_KEY_PATH, env.TEMPORAL_TLS_SERVER_CA_CERT_PATH]) {
      assert.ok(
        container.volumeMounts.some((m) => m.readOnly && file.startsWith(`${m.mountPath}/`)),
        `${file} is on a read-only Secret mount`,
      );
    }
    assert.ok(!Object.keys(env).some((k) => /KEY$|PASSWORD|TOKEN|^STEADFAST_STORE$|^STEADFAST_CODEC_KEYS$/.test(k)), 'no secret in the ConfigMap');
  });
});
