/**
 * What the crash tests share: the reference application's worker process (`workers/main.ts`) run
 * as a real child process through `steadfast/testing`'s `WorkerProcess`, and a harness with a dev
 * server, a SQLite effect store the worker processes share, and a workflow bundle with the crash
 * points built once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EffectStore } from 'steadfast/activity';
import {
  startDevServer,
  WorkerProcess,
  writeCrashPointBundle,
  type TemporalHandle,
  type WorkerProcessOptions,
} from 'steadfast/testing';
import { tempSqliteStore, uniqueId } from './helpers';
import { REFERENCE_WORKFLOWS } from './reference-worker';

/** The reference application's folder, and its worker process. */
const PROJECT_ROOT = path.join(__dirname, '..');
const WORKER_SCRIPT = path.join(PROJECT_ROOT, 'workers', 'main.ts');

/** Options of {@link spawnReferenceWorker}: `WorkerProcess.start`'s, the script and folder set. */
export type ReferenceWorkerProcessOptions = Omit<WorkerProcessOptions, 'script' | 'cwd'>;

/** Starts the reference application's worker process (`workers/main.ts`). */
export function spawnReferenceWorker(options: ReferenceWorkerProcessOptions): WorkerProcess {
  return WorkerProcess.start({ ...options, script: WORKER_SCRIPT, cwd: PROJECT_ROOT });
}

/** Bundles the reference workflows with the crash-point interceptor into `dir`; returns the file. */
export function writeReferenceCrashPointBundle(dir: string): Promise<string> {
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
    writeReferenceCrashPointBundle(scratch),
    tempSqliteStore(),
  ]);
  return {
    temporal,
    store,
    storeFile,
    scratch,
    bundlePath,
    spawn: (taskQueue, name, extra = {}) =>
      spawnReferenceWorker({
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
