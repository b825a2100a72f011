/**
 * Reference-application worker processes for the crash tests: `workers/main.ts` spawned through
 * `WorkerProcess` (steadfast/testing), and a crash harness (dev server, shared SQLite store,
 * scratch folder, a pre-built workflow bundle with the crash points).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  startDevServer,
  uniqueId,
  WorkerProcess,
  writeCrashPointBundle,
  type TemporalHandle,
  type WorkerProcessOptions,
} from 'steadfast/testing';
import type { EffectStore } from '../src/activity/store';
import { PROJECT_ROOT } from '../src/platform/config';
import type { FailoverProfile } from '../src/common/failover';
import { REFERENCE_WORKFLOWS } from './reference-worker';
import { tempSqliteStore } from './helpers';

/** The reference application's worker script. */
export const REFERENCE_WORKER_SCRIPT = path.join(PROJECT_ROOT, 'workers', 'main.ts');

/** Options of {@link spawnWorker}: `WorkerProcess`'s, with the failover profile. */
export interface ReferenceWorkerProcessOptions extends Omit<WorkerProcessOptions, 'script' | 'cwd'> {
  profile?: FailoverProfile;
}

/** Spawns the reference application's worker process. Call `WorkerProcess.killAll()` in teardown. */
export function spawnWorker({ profile, env, ...opts }: ReferenceWorkerProcessOptions): WorkerProcess {
  return WorkerProcess.start({
    ...opts,
    script: REFERENCE_WORKER_SCRIPT,
    cwd: PROJECT_ROOT,
    env: { ...(profile ? { STEADFAST_FAILOVER_PROFILE: profile } : {}), ...env },
  });
}

/** Bundles the reference workflows with the crash-point interceptor and writes it to `dir`; returns the file. */
export function writeReferenceCrashBundle(dir: string): Promise<string> {
  return writeCrashPointBundle(REFERENCE_WORKFLOWS, dir);
}

/**
 * What a crash test needs: a dev server, a SQLite effect store file shared with the worker
 * processes, a scratch directory and a pre-built workflow bundle with the crash points.
 */
export interface CrashHarness {
  temporal: TemporalHandle;
  store: EffectStore;
  storeFile: string;
  scratch: string;
  bundlePath: string;
  /** Spawns a worker on `taskQueue` with its own crash-point directory (or `crashPointsDir`). */
  spawn(taskQueue: string, name: string, extra?: Partial<ReferenceWorkerProcessOptions>): WorkerProcess;
  /** Kills the workers, stops the server, removes the files. Safe after a failed open. */
  close(): Promise<void>;
}

export async function openCrashHarness(prefix: string): Promise<CrashHarness> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), `steadfast-${prefix}-`));
  const [temporal, bundlePath, { store, file: storeFile, cleanup }] = await Promise.all([
    startDevServer(),
    writeReferenceCrashBundle(scratch),
    tempSqliteStore(),
  ]);
  return {
    temporal,
    store,
    storeFile,
    scratch,
    bundlePath,
    spawn: (taskQueue, name, extra = {}) =>
      spawnWorker({
        temporal,
        taskQueue,
        storeUrl: `sqlite:${storeFile}`,
        identity: uniqueId(`worker-${name}`),
        crashPointsDir: fs.mkdtempSync(path.join(scratch, 'points-')),
        bundlePath,
        ...extra,
      }),
    close: async () => {
      await WorkerProcess.killAll();
      await temporal.close().catch((err) => console.error('server teardown failed:', err));
      await cleanup();
      fs.rmSync(scratch, { recursive: true, force: true });
    },
  };
}
