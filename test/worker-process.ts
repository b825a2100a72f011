/**
 * Worker processes for crash tests and the failover benchmark: spawns `workers/main.ts` as a real
 * child process (node with tsx), follows its crash-point markers on stdout, and kills it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { EffectStore } from '../src/activity/store';
import { PROJECT_ROOT } from '../src/platform/config';
import { startDevServer, type TemporalHandle } from '../src/platform/servers';
import { CRASH_POINT_MARKER, crashPointBundle, type CrashPointMarker } from '../src/worker/crash-points';
import { REFERENCE_WORKFLOWS } from './reference-worker';
import { WORKER_READY_MARKER } from '../workers/main';
import type { WorkerReady } from '../src/worker/run-worker';
import type { FailoverProfile } from '../src/common/failover';
import { tempSqliteStore, uniqueId, waitUntil } from './helpers';

export interface WorkerProcessOptions {
  /** `host:port` of the Temporal server. */
  address: string;
  namespace?: string;
  taskQueue: string;
  /** `STEADFAST_STORE`. */
  storeUrl: string;
  identity: string;
  /** Enables the crash points with this directory. */
  crashPointsDir?: string;
  /** A pre-built workflow bundle (see {@link writeCrashPointBundle}). */
  bundlePath?: string;
  profile?: FailoverProfile;
  /** Extra environment. */
  env?: Record<string, string>;
}

/** How a process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const live = new Set<WorkerProcess>();

/** A worker child process. */
export class WorkerProcess {
  readonly child: ChildProcess;
  readonly identity: string;
  /** Every crash-point marker printed so far. */
  readonly markers: CrashPointMarker[] = [];
  /** The last lines of output (stdout and stderr), for failure messages. */
  readonly tail: string[] = [];
  /** What the worker reported once it polled (its ready line). */
  readyInfo?: WorkerReady;
  /** Settles when the process has exited. */
  readonly exited: Promise<Exit>;
  /** Resolves once the worker polls; rejects if it exits first. */
  readonly ready: Promise<void>;
  private readonly events = new EventEmitter();
  private exit?: Exit;

  constructor(opts: WorkerProcessOptions) {
    this.identity = opts.identity;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: opts.address,
      TEMPORAL_NAMESPACE: opts.namespace ?? 'default',
      STEADFAST_TASK_QUEUE: opts.taskQueue,
      STEADFAST_STORE: opts.storeUrl,
      STEADFAST_WORKER_IDENTITY: opts.identity,
      STEADFAST_LOG_LEVEL: process.env.STEADFAST_LOG_LEVEL ?? 'ERROR',
      ...(opts.crashPointsDir ? { STEADFAST_CRASH_POINTS_DIR: opts.crashPointsDir } : {}),
      ...(opts.bundlePath ? { STEADFAST_WORKFLOW_BUNDLE: opts.bundlePath } : {}),
      ...(opts.profile ? { STEADFAST_FAILOVER_PROFILE: opts.profile } : {}),
      ...opts.env,
    };
    this.child = spawn(process.execPath, ['--import', 'tsx', path.join('workers', 'main.ts')], {
      cwd: PROJECT_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(this);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        live.delete(this);
        this.events.emit('exit');
        resolve(this.exit);
      });
    });
    this.ready = new Promise((resolve, reject) => {
      this.events.once('ready', resolve);
      this.events.once('exit', () =>
        reject(new Error(`worker ${this.identity} exited before it was ready (${JSON.stringify(this.exit)}):\n${this.tail.join('\n')}`)),
      );
    });
    this.ready.catch(() => undefined);
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => this.onLine(line));
    readline.createInterface({ input: this.child.stderr! }).on('line', (line) => this.keep(line));
  }

  private keep(line: string): void {
    this.tail.push(line);
    if (this.tail.length > 40) this.tail.shift();
  }

  private onLine(line: string): void {
    if (line.startsWith(CRASH_POINT_MARKER)) {
      const marker = JSON.parse(line.slice(CRASH_POINT_MARKER.length)) as CrashPointMarker;
      this.markers.push(marker);
      this.events.emit('marker', marker);
      return;
    }
    if (line.startsWith(WORKER_READY_MARKER)) {
      this.readyInfo = JSON.parse(line.slice(WORKER_READY_MARKER.length)) as WorkerReady;
      this.events.emit('ready');
    }
    this.keep(line);
  }

  /** True while the process runs. */
  get running(): boolean {
    return this.exit === undefined;
  }

  /**
   * The first marker (already printed or still to come) that satisfies `match`.
   * Rejects after `timeoutMs`, or when the process exits without printing one.
   */
  waitForMarker(match: (m: CrashPointMarker) => boolean, timeoutMs = 30_000): Promise<CrashPointMarker> {
    const seen = this.markers.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.events.off('marker', onMarker);
        this.events.off('exit', onExit);
      };
      const onMarker = (m: CrashPointMarker) => {
        if (!match(m)) return;
        done();
        resolve(m);
      };
      const onExit = () => {
        done();
        reject(new Error(`worker ${this.identity} exited before the expected crash point:\n${this.tail.join('\n')}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for a crash point of worker ${this.identity}`));
      }, timeoutMs);
      this.events.on('marker', onMarker);
      this.events.once('exit', onExit);
    });
  }

  /** Sends a signal (default SIGKILL). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.running) this.child.kill(signal);
  }
}

/** The first marker matching `match` from any of `workers` (polled every 10 ms until the deadline). */
export function firstMarker(
  workers: WorkerProcess[],
  match: (m: CrashPointMarker) => boolean,
  timeoutMs = 30_000,
): Promise<CrashPointMarker> {
  return waitUntil(() => workers.flatMap((w) => w.markers).find(match), {
    timeoutMs,
    intervalMs: 10,
    what: `a crash point from ${workers.map((w) => w.identity).join(' or ')}`,
  });
}

/** Spawns a worker process. Call {@link killAllWorkers} in teardown. */
export function spawnWorker(opts: WorkerProcessOptions): WorkerProcess {
  return new WorkerProcess(opts);
}

/** SIGKILLs every worker process still running and waits for them to exit. */
export async function killAllWorkers(): Promise<void> {
  const workers = [...live];
  for (const w of workers) w.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
}

/** Bundles the workflows with the crash-point interceptor once and writes it to `dir`; returns the file. */
export async function writeCrashPointBundle(dir: string): Promise<string> {
  const file = path.join(dir, 'workflow-bundle.js');
  fs.writeFileSync(file, (await crashPointBundle(REFERENCE_WORKFLOWS)).code);
  return file;
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
  spawn(taskQueue: string, name: string, extra?: Partial<WorkerProcessOptions>): WorkerProcess;
  /** Kills the workers, stops the server, removes the files. Safe after a failed open. */
  close(): Promise<void>;
}

export async function openCrashHarness(prefix: string): Promise<CrashHarness> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), `steadfast-${prefix}-`));
  const [temporal, bundlePath, { store, file: storeFile, cleanup }] = await Promise.all([
    startDevServer(),
    writeCrashPointBundle(scratch),
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
        address: temporal.address,
        taskQueue,
        storeUrl: `sqlite:${storeFile}`,
        identity: uniqueId(`worker-${name}`),
        crashPointsDir: fs.mkdtempSync(path.join(scratch, 'points-')),
        bundlePath,
        ...extra,
      }),
    close: async () => {
      await killAllWorkers();
      await temporal.close().catch((err) => console.error('server teardown failed:', err));
      await cleanup();
      fs.rmSync(scratch, { recursive: true, force: true });
    },
  };
}
