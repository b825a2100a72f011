/**
 * Finds, or builds, what a production-shaped Temporal cluster needs: the server binary, the SQL
 * schema tool and the PostgreSQL schemas, all of one pinned version ({@link TEMPORAL_SERVER_VERSION}).
 *
 * Resolution order for each binary, first hit wins (the same shape as the dev server's):
 *
 *   1. an explicit path from the environment (`STEADFAST_TEMPORAL_SERVER_PATH`,
 *      `STEADFAST_TEMPORAL_SQL_TOOL_PATH`);
 *   2. the binary on `PATH` (`temporal-server`, `temporal-sql-tool`, the official release names);
 *   3. the project-local cache `.steadfast/bin/temporal-server-<version>/`;
 *   4. a build into that cache with `go install` from the Go module proxy (about 7 minutes on two
 *      busy cores the first time; Go's build cache makes a rebuild take seconds);
 *   5. the official release archive, when the machine is online.
 *
 * The schemas come from `STEADFAST_TEMPORAL_SCHEMA_DIR`, else the cache, else the Go module cache
 * (which `go install` fills, or `go mod download` does alone), else the release archive.
 * When nothing works, {@link ClusterProvisioningError} lists every step tried and why it failed.
 *
 * `npm run setup:cluster` runs this ahead of time (CI does, so that the build is not timed as part
 * of a test).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { STATE_DIR } from '../platform/config';
import { findOnPath, isExecutableFile } from '../platform/provision';

/**
 * The pinned Temporal server. v1.31 and later need a newer Go than this project's machines have;
 * bump together with the schema versions the cluster tests expect.
 */
export const TEMPORAL_SERVER_VERSION = '1.30.4';

/** Where a cluster's binaries and schemas are cached, per version. */
export const CLUSTER_BIN_DIR = path.join(STATE_DIR, 'bin', `temporal-server-${TEMPORAL_SERVER_VERSION}`);

interface BinarySpec {
  envVar: string;
  /** The name on PATH and in the cache (the release archive's name). */
  binary: string;
  /** The Go package that builds it; `go install` names the result after its last path element. */
  goPackage: string;
  label: string;
}

/** The two binaries a cluster needs. */
export const CLUSTER_BINARIES = {
  server: {
    envVar: 'STEADFAST_TEMPORAL_SERVER_PATH',
    binary: 'temporal-server',
    goPackage: 'go.temporal.io/server/cmd/server',
    label: 'Temporal server',
  },
  sqlTool: {
    envVar: 'STEADFAST_TEMPORAL_SQL_TOOL_PATH',
    binary: 'temporal-sql-tool',
    goPackage: 'go.temporal.io/server/cmd/tools/sql',
    label: 'Temporal SQL schema tool',
  },
} as const satisfies Record<string, BinarySpec>;

/** One step of the resolution and what came of it. */
export interface ClusterAttempt {
  what: string;
  source: 'env' | 'path' | 'project-cache' | 'go-install' | 'go-module-cache' | 'release-download';
  detail: string;
  ok: boolean;
}

/** Everything a cluster needs on disk. */
export interface ClusterBinaries {
  version: string;
  server: string;
  sqlTool: string;
  /** The folder that holds `postgresql/v12/{temporal,visibility}/versioned`. */
  schemaDir: string;
  attempts: ClusterAttempt[];
}

/** Raised when the binaries or schemas cannot be found or made; the message lists every attempt. */
export class ClusterProvisioningError extends Error {
  override readonly name = 'ClusterProvisioningError';
  constructor(readonly attempts: ClusterAttempt[]) {
    super(
      `could not provision Temporal server ${TEMPORAL_SERVER_VERSION} for the cluster. Tried, in order:\n` +
        attempts.map((a, i) => `  ${i + 1}. ${a.what} via ${a.source}: ${a.detail}${a.ok ? ' (ok)' : ''}`).join('\n') +
        `\nInstall Go (the Go module proxy must be reachable) and run "npm run setup:cluster", or set ` +
        `${CLUSTER_BINARIES.server.envVar}, ${CLUSTER_BINARIES.sqlTool.envVar} and STEADFAST_TEMPORAL_SCHEMA_DIR.`,
    );
  }
}

/** How far provisioning may go: `find` only looks (env, PATH, cache); `build` may also build or download. */
export type ProvisionMode = 'find' | 'build';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): { ok: boolean; output: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  if (r.error) return { ok: false, output: `${cmd}: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, output: `${cmd} exited ${r.status}: ${output.split('\n').slice(-3).join(' | ')}` };
  return { ok: true, output };
}

/** The module's folder in Go's module cache, if `go` is installed and the module is there. */
function goModuleDir(env: NodeJS.ProcessEnv): string | undefined {
  const r = run('go', ['env', 'GOMODCACHE'], env, 30_000);
  if (!r.ok) return undefined;
  const dir = path.join(r.output.trim(), 'go.temporal.io', `server@v${TEMPORAL_SERVER_VERSION}`);
  return fs.existsSync(path.join(dir, 'schema')) ? dir : undefined;
}

function hasSchemas(dir: string): boolean {
  return ['temporal', 'visibility'].every((s) => fs.existsSync(path.join(dir, 'postgresql', 'v12', s, 'versioned')));
}

/** Copies the PostgreSQL schemas into the cache, so the cache alone is enough next time. */
function cacheSchemas(from: string, cacheDir: string): string {
  const target = path.join(cacheDir, 'schema');
  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(path.join(target, 'postgresql'), { recursive: true });
  fs.cpSync(path.join(from, 'postgresql', 'v12'), path.join(target, 'postgresql', 'v12'), { recursive: true });
  // The module cache is read-only; the copies need not be.
  for (const entry of fs.readdirSync(target, { recursive: true, withFileTypes: true })) {
    fs.chmodSync(path.join(entry.parentPath, entry.name), entry.isDirectory() ? 0o755 : 0o644);
  }
  return target;
}

function goInstall(spec: BinarySpec, cacheDir: string, env: NodeJS.ProcessEnv, log: (line: string) => void): ClusterAttempt {
  const gobin = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-gobin-'));
  const ref = `${spec.goPackage}@v${TEMPORAL_SERVER_VERSION}`;
  try {
    log(`[cluster] building ${spec.label} with go install ${ref} (the first build takes minutes; Go's build cache makes the next one quick)…`);
    const started = Date.now();
    const r = run('go', ['install', ref], { ...env, GOBIN: gobin }, 60 * 60_000);
    if (!r.ok) return { what: spec.label, source: 'go-install', detail: `go install ${ref}: ${r.output}`, ok: false };
    const built = path.join(gobin, path.basename(spec.goPackage));
    fs.mkdirSync(cacheDir, { recursive: true });
    fs.copyFileSync(built, path.join(cacheDir, spec.binary));
    fs.chmodSync(path.join(cacheDir, spec.binary), 0o755);
    return {
      what: spec.label,
      source: 'go-install',
      detail: `built ${ref} into ${path.join(cacheDir, spec.binary)} in ${Math.round((Date.now() - started) / 1000)} s`,
      ok: true,
    };
  } finally {
    fs.rmSync(gobin, { recursive: true, force: true });
  }
}

/** The official release archive (needs internet): binaries and, in it, the schemas. */
async function downloadRelease(cacheDir: string): Promise<ClusterAttempt> {
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch as string];
  const url =
    `https://github.com/temporalio/temporal/releases/download/v${TEMPORAL_SERVER_VERSION}/` +
    `temporal_${TEMPORAL_SERVER_VERSION}_${process.platform}_${arch ?? process.arch}.tar.gz`;
  const what = 'release archive';
  let body: ArrayBuffer;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(120_000) });
    if (!res.ok) return { what, source: 'release-download', detail: `${url}: HTTP ${res.status}`, ok: false };
    body = await res.arrayBuffer();
  } catch (err) {
    return { what, source: 'release-download', detail: `${url}: ${(err as Error).message} (offline?)`, ok: false };
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-release-'));
  try {
    fs.writeFileSync(path.join(tmp, 'release.tar.gz'), Buffer.from(body));
    const r = run('tar', ['-xzf', path.join(tmp, 'release.tar.gz'), '-C', tmp], process.env, 120_000);
    if (!r.ok) return { what, source: 'release-download', detail: `unpacking ${url}: ${r.output}`, ok: false };
    fs.mkdirSync(cacheDir, { recursive: true });
    for (const spec of Object.values(CLUSTER_BINARIES)) {
      if (!fs.existsSync(path.join(tmp, spec.binary))) {
        return { what, source: 'release-download', detail: `${url} has no ${spec.binary}`, ok: false };
      }
      fs.copyFileSync(path.join(tmp, spec.binary), path.join(cacheDir, spec.binary));
      fs.chmodSync(path.join(cacheDir, spec.binary), 0o755);
    }
    if (hasSchemas(path.join(tmp, 'schema'))) cacheSchemas(path.join(tmp, 'schema'), cacheDir);
    return { what, source: 'release-download', detail: `unpacked ${url} into ${cacheDir}`, ok: true };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Finds the cluster's binaries and schemas, building or downloading what is missing when `mode`
 * is `build` (the default).
 * @throws ClusterProvisioningError listing every step tried
 */
export async function provisionCluster(
  opts: { mode?: ProvisionMode; env?: NodeJS.ProcessEnv; cacheDir?: string; log?: (line: string) => void } = {},
): Promise<ClusterBinaries> {
  const env = opts.env ?? process.env;
  const cacheDir = opts.cacheDir ?? CLUSTER_BIN_DIR;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const attempts: ClusterAttempt[] = [];
  const found: Partial<Record<keyof typeof CLUSTER_BINARIES, string>> = {};

  const findBinary = (key: keyof typeof CLUSTER_BINARIES): void => {
    const spec = CLUSTER_BINARIES[key];
    const explicit = env[spec.envVar]?.trim();
    if (explicit) {
      const ok = isExecutableFile(explicit);
      attempts.push({ what: spec.label, source: 'env', detail: `${spec.envVar}=${explicit}${ok ? '' : ' is not an executable file'}`, ok });
      if (ok) return void (found[key] = explicit);
    } else {
      attempts.push({ what: spec.label, source: 'env', detail: `${spec.envVar} is not set`, ok: false });
    }
    const onPath = findOnPath(spec.binary, env.PATH);
    attempts.push({ what: spec.label, source: 'path', detail: onPath ? `found ${onPath}` : `no "${spec.binary}" on PATH`, ok: Boolean(onPath) });
    if (onPath) return void (found[key] = onPath);
    const cached = path.join(cacheDir, spec.binary);
    const ok = isExecutableFile(cached);
    attempts.push({ what: spec.label, source: 'project-cache', detail: ok ? `found ${cached}` : `${cached} does not exist`, ok });
    if (ok) found[key] = cached;
  };
  findBinary('server');
  findBinary('sqlTool');

  let schemaDir: string | undefined;
  const findSchemas = (): void => {
    const explicit = env.STEADFAST_TEMPORAL_SCHEMA_DIR?.trim();
    if (explicit) {
      const ok = hasSchemas(explicit);
      attempts.push({
        what: 'PostgreSQL schemas',
        source: 'env',
        detail: `STEADFAST_TEMPORAL_SCHEMA_DIR=${explicit}${ok ? '' : ' has no postgresql/v12/{temporal,visibility}/versioned'}`,
        ok,
      });
      if (ok) return void (schemaDir = explicit);
    }
    const cached = path.join(cacheDir, 'schema');
    if (hasSchemas(cached)) {
      attempts.push({ what: 'PostgreSQL schemas', source: 'project-cache', detail: `found ${cached}`, ok: true });
      return void (schemaDir = cached);
    }
    const moduleDir = goModuleDir(env);
    if (moduleDir && hasSchemas(path.join(moduleDir, 'schema'))) {
      attempts.push({ what: 'PostgreSQL schemas', source: 'go-module-cache', detail: `copied from ${moduleDir}/schema`, ok: true });
      return void (schemaDir = cacheSchemas(path.join(moduleDir, 'schema'), cacheDir));
    }
    attempts.push({ what: 'PostgreSQL schemas', source: 'project-cache', detail: `${cached} and the Go module cache have none`, ok: false });
  };
  findSchemas();

  const complete = () => found.server && found.sqlTool && schemaDir;
  if (!complete() && opts.mode !== 'find') {
    const goVersion = run('go', ['version'], env, 30_000);
    if (!goVersion.ok) {
      attempts.push({ what: 'Go toolchain', source: 'go-install', detail: `no usable go: ${goVersion.output}`, ok: false });
    } else {
      for (const key of ['server', 'sqlTool'] as const) {
        if (found[key]) continue;
        const attempt = goInstall(CLUSTER_BINARIES[key], cacheDir, env, log);
        attempts.push(attempt);
        if (attempt.ok) found[key] = path.join(cacheDir, CLUSTER_BINARIES[key].binary);
      }
      if (!schemaDir) {
        const dl = run('go', ['mod', 'download', `go.temporal.io/server@v${TEMPORAL_SERVER_VERSION}`], env, 10 * 60_000);
        if (!dl.ok) attempts.push({ what: 'PostgreSQL schemas', source: 'go-module-cache', detail: `go mod download: ${dl.output}`, ok: false });
        findSchemas();
      }
    }
    if (!complete()) {
      const attempt = await downloadRelease(cacheDir);
      attempts.push(attempt);
      if (attempt.ok) {
        for (const key of ['server', 'sqlTool'] as const) found[key] ??= path.join(cacheDir, CLUSTER_BINARIES[key].binary);
        if (!schemaDir) findSchemas();
      }
    }
  }
  if (!complete() && opts.mode === 'find') {
    attempts.push({ what: 'missing parts', source: 'go-install', detail: 'not tried: building was not allowed (--no-build, or a test run outside CI)', ok: false });
  }
  if (!found.server || !found.sqlTool || !schemaDir) throw new ClusterProvisioningError(attempts);
  return { version: TEMPORAL_SERVER_VERSION, server: found.server, sqlTool: found.sqlTool, schemaDir, attempts };
}

/** `npm run setup:cluster [-- --find-only]`: provision ahead of time; exit 1 with the attempts when it cannot. */
async function main(): Promise<void> {
  const findOnly = process.argv.includes('--find-only');
  try {
    const b = await provisionCluster({ mode: findOnly ? 'find' : 'build' });
    console.log(`[cluster] Temporal server ${b.version}: ${b.server}\n[cluster] SQL tool: ${b.sqlTool}\n[cluster] schemas: ${b.schemaDir}`);
  } catch (err) {
    console.error(`[cluster] ${(err as Error).message}`);
    process.exit(1);
  }
}

if (require.main === module) void main();
