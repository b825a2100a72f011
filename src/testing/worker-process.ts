/**
 * Worker processes a test can kill: `steadfast worker` (or a worker script of the project's own)
 * as a real child process, ready once the server lists it among the task queue's pollers, killed
 * with SIGKILL mid-run and restarted. With crash points on, it follows the worker's crash-point
 * markers on stdout, so a test can kill it *at* a chosen moment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { Client } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { PROJECT_ROOT } from '../platform/config';
import { CRASH_POINT_MARKER, crashPointBundle, type CrashPointMarker } from '../worker/crash-points';
import type { FailoverProfile } from '../common/failover';
import type { BundleConverterOptions, WorkflowBundleSource } from '../worker/create-worker';
import { defaultWorkerIdentity } from '../worker/run-worker';
import { SUPERVISED_ENV } from '../worker/supervised-child';
import { uniqueId, waitUntil } from './wait';

/** The `steadfast` executable: src/testing and dist/testing both sit two folders below bin/. */
const STEADFAST_BIN = path.join(__dirname, '..', '..', 'bin', 'steadfast.js');

/** The server a worker process connects to: what `startDevServer` returns. */
export interface WorkerProcessTarget {
  /** `host:port` of the frontend. */
  address: string;
  /** The namespace the worker polls. */
  namespace: string;
  /**
   * Asked for the task queue's pollers, to tell when the worker is ready. Leave it out only for a
   * worker that is expected to exit without polling (bad settings): its {@link WorkerProcess.ready}
   * then rejects.
   */
  client?: Client;
}

/** Options of {@link WorkerProcess.start}. */
export interface WorkerProcessOptions {
  /** The server to connect to (a `TemporalHandle` will do). */
  temporal: WorkerProcessTarget;
  /** The task queue the worker polls (`STEADFAST_TASK_QUEUE`). */
  taskQueue: string;
  /** The effect store (`STEADFAST_STORE`), e.g. `sqlite:/tmp/effects.db`. */
  storeUrl?: string;
  /** A worker script of the project's own, run with `node --import tsx`, instead of `steadfast worker`. */
  script?: string;
  /** The project folder (where `steadfast.config.ts` is); default the project around the current directory. */
  cwd?: string;
  /** The worker's identity (`STEADFAST_WORKER_IDENTITY`); default `steadfast-worker-<pid>@<host>`. */
  identity?: string;
  /** Honour fault plans (`STEADFAST_FAULT_INJECTION`); default `true`. */
  faultInjection?: boolean;
  /** The failover settings the worker runs with (`STEADFAST_FAILOVER_PROFILE`); default the worker's own (`steadfast`). */
  profile?: FailoverProfile;
  /** Turns the crash points on with this directory (`STEADFAST_CRASH_POINTS_DIR`); arm them with `arm()`. */
  crashPointsDir?: string;
  /** A pre-built workflow bundle file (`STEADFAST_WORKFLOW_BUNDLE`), to skip bundling at start. */
  bundlePath?: string;
  /**
   * Start it as a supervised worker (`STEADFAST_SUPERVISED=1` and an IPC channel), for a
   * `FailoverSupervisor` to watch through {@link WorkerProcess.child}. Needs `bundlePath`: a bundle
   * with the supervision module (`supervisedBundle`).
   */
  supervised?: boolean;
  /** Appends the process's stdout and stderr to this file. */
  logFile?: string;
  /** More environment (wins over the variables above). */
  env?: Record<string, string | undefined>;
  /** How long {@link WorkerProcess.ready} waits for the worker to poll; default 60 000 ms. */
  readyTimeoutMs?: number;
}

/** How a process ended. */
export interface Exit {
  /** The exit code, or `null` when a signal ended the process. */
  code: number | null;
  /** The signal that ended the process, if one did. */
  signal: NodeJS.Signals | null;
}

const live = new Set<WorkerProcess>();

/**
 * The environment a worker process gets from {@link WorkerProcessOptions}: this process's, with the
 * options' variables on top (also what the chaos harness gives a supervisor's children).
 */
export function workerProcessEnv(options: WorkerProcessOptions): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: options.temporal.address,
    TEMPORAL_NAMESPACE: options.temporal.namespace,
    STEADFAST_TASK_QUEUE: options.taskQueue,
    STEADFAST_FAULT_INJECTION: options.faultInjection === false ? '0' : '1',
    STEADFAST_LOG_LEVEL: process.env.STEADFAST_LOG_LEVEL ?? 'ERROR',
    ...(options.storeUrl ? { STEADFAST_STORE: options.storeUrl } : {}),
    ...(options.identity ? { STEADFAST_WORKER_IDENTITY: options.identity } : {}),
    ...(options.crashPointsDir ? { STEADFAST_CRASH_POINTS_DIR: options.crashPointsDir } : {}),
    ...(options.bundlePath ? { STEADFAST_WORKFLOW_BUNDLE: options.bundlePath } : {}),
    ...(options.profile ? { STEADFAST_FAILOVER_PROFILE: options.profile } : {}),
    ...(options.supervised ? { [SUPERVISED_ENV]: '1' } : {}),
    ...options.env,
  };
}

/**
 * A worker child process.
 *
 * @example
 * const worker = WorkerProcess.start({ temporal, taskQueue, storeUrl: `sqlite:${file}` });
 * await worker.ready;
 * const handle = await temporal.client.workflow.start(bookTrip, { taskQueue, workflowId, args: [input] });
 * const flightKey = runKeyOf(await runKeysOf(handle), 'book-flight');
 * await waitUntil(() => store.get('SELECT 1 FROM bookings WHERE key = ?', [flightKey]));
 * worker.kill();                             // SIGKILL mid-run
 * const replacement = await worker.restart();
 * await replacement.ready;
 * await handle.result();                     // the run completes on the replacement
 */
export class WorkerProcess {
  /** The child process. */
  readonly child: ChildProcess;
  /** Its process id. */
  readonly pid: number;
  /** The identity the worker polls with. */
  readonly identity: string;
  /** Every crash-point marker printed so far. */
  readonly markers: CrashPointMarker[] = [];
  /** The last 40 lines of output (stdout and stderr), for failure messages. */
  readonly tail: string[] = [];
  /** Settles when the process has exited. */
  readonly exited: Promise<Exit>;
  private readonly events = new EventEmitter();
  private exit?: Exit;
  private readyPromise?: Promise<void>;

  private constructor(
    /** What {@link WorkerProcess.start} was given (a restart reuses them). */
    readonly options: WorkerProcessOptions,
  ) {
    const env = workerProcessEnv(options);
    const args = options.script ? ['--import', 'tsx', options.script] : [STEADFAST_BIN, 'worker'];
    this.child = spawn(process.execPath, args, {
      cwd: options.cwd ?? PROJECT_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe', ...(options.supervised ? (['ipc'] as const) : [])],
    });
    if (this.child.pid === undefined) throw new Error(`could not start a worker process (${args.join(' ')})`);
    this.pid = this.child.pid;
    this.identity = options.identity ?? defaultWorkerIdentity(this.pid);
    live.add(this);
    const log = options.logFile ? fs.createWriteStream(options.logFile, { flags: 'a' }) : undefined;
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        live.delete(this);
        this.events.emit('exit');
        log?.end();
        resolve(this.exit);
      });
    });
    const onLine = (line: string, stdout: boolean) => {
      log?.write(line + '\n');
      if (stdout && line.startsWith(CRASH_POINT_MARKER)) {
        const marker = JSON.parse(line.slice(CRASH_POINT_MARKER.length)) as CrashPointMarker;
        this.markers.push(marker);
        this.events.emit('marker', marker);
        return;
      }
      this.tail.push(line);
      if (this.tail.length > 40) this.tail.shift();
    };
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => onLine(line, true));
    readline.createInterface({ input: this.child.stderr! }).on('line', (line) => onLine(line, false));
  }

  /**
   * Resolves once the server lists the worker among the task queue's pollers (workflow and
   * activity), on any of its partitions; rejects, with the worker's last output, if it exits first or does not poll within
   * `readyTimeoutMs`, or at once when the target has no client. The server is asked only once
   * something awaits this.
   */
  get ready(): Promise<void> {
    return (this.readyPromise ??= this.waitReady(this.options.readyTimeoutMs ?? 60_000));
  }

  /**
   * Spawns a worker process (`steadfast worker`, or `options.script`); await {@link ready} before
   * starting runs that must land on it. Call {@link WorkerProcess.killAll} in teardown.
   */
  static start(options: WorkerProcessOptions): WorkerProcess {
    return new WorkerProcess(options);
  }

  /** SIGKILLs every worker process this process started that still runs, and waits for them to exit. */
  static async killAll(): Promise<void> {
    const workers = [...live];
    for (const w of workers) w.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const { client, namespace } = this.options.temporal;
    if (!client) {
      throw new Error(`worker ${this.identity}: cannot tell when it is ready without a client (WorkerProcessOptions.temporal.client)`);
    }
    const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = proto.api.enums.v1.TaskQueueType;
    const { DESCRIBE_TASK_QUEUE_MODE_ENHANCED } = proto.api.enums.v1.DescribeTaskQueueMode;
    const exitedFirst = this.exited.then(() => {
      throw new Error(`worker ${this.identity} exited before it was ready (${JSON.stringify(this.exit)}):\n${this.tail.join('\n')}`);
    });
    // Asked every 50 ms: bench:worker-start measures a worker's start by this, and a coarser poll
    // would add up to its interval to every figure.
    const types = [TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY];
    const taskQueue = { name: this.options.taskQueue };
    const listed = (pollers: Array<{ identity?: string | null }> | null | undefined) => (pollers ?? []).some((p) => p.identity === this.identity);
    const polling = waitUntil(
      async () => {
        if (!this.running) return true;
        const seen = await Promise.all(
          types.map(async (taskQueueType) => listed((await client.workflowService.describeTaskQueue({ namespace, taskQueue, taskQueueType })).pollers)),
        );
        if (seen.every(Boolean)) return true;
        // That describe covers the root partition only. On an idle task queue a new worker's long
        // polls (a minute each) may all sit on other partitions, so it would show there only up to
        // a minute later: ask every partition (the enhanced describe), where the server supports it.
        const all = await client.workflowService
          .describeTaskQueue({ namespace, taskQueue, apiMode: DESCRIBE_TASK_QUEUE_MODE_ENHANCED, taskQueueTypes: types, reportPollers: true })
          .catch(() => undefined);
        const unversioned = all?.versionsInfo?.[''];
        return types.every((t) => listed(unversioned?.typesInfo?.[t]?.pollers));
      },
      { timeoutMs, intervalMs: 50, what: `worker ${this.identity} to poll task queue ${this.options.taskQueue}` },
    );
    polling.catch(() => undefined);
    await Promise.race([polling, exitedFirst]);
    if (!this.running) await exitedFirst;
  }

  /** True while the process runs. */
  get running(): boolean {
    return this.exit === undefined;
  }

  /**
   * The first crash-point marker (already printed or still to come) that satisfies `match`.
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

  /** Sends `signal` (default SIGKILL: a crash) if the process still runs. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.running) this.child.kill(signal);
  }

  /**
   * Kills this worker with `signal` (default SIGKILL) if it still runs, waits for it to exit, and
   * starts a replacement with the same options. The replacement's identity differs (a default one
   * follows the new pid; a given one gets a fresh suffix), so its {@link ready} waits for it and not
   * for the dead worker's poller, which the server lists for a while.
   */
  async restart(signal: NodeJS.Signals = 'SIGKILL'): Promise<WorkerProcess> {
    this.kill(signal);
    await this.exited;
    const { identity } = this.options;
    return WorkerProcess.start({ ...this.options, identity: identity ? uniqueId(identity) : undefined });
  }
}

/**
 * The first crash-point marker matching `match` from any of `workers` (polled until the deadline).
 *
 * @example
 * const held = await firstMarker([a, b], (m) => m.point === 'after-effect' && m.held);
 */
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

/**
 * Bundles the workflows with the crash-point interceptor and writes the bundle to `dir`; returns
 * the file, for {@link WorkerProcessOptions.bundlePath}, so that worker processes with crash points
 * start without bundling. Workers that trace (`STEADFAST_TRACE=1`) need `{ tracing: true }`.
 *
 * @example
 * const bundlePath = await writeCrashPointBundle({ workflowsPath: require.resolve('../workflows') }, scratch);
 * const worker = WorkerProcess.start({ temporal, taskQueue, crashPointsDir, bundlePath });
 */
export async function writeCrashPointBundle(
  source: WorkflowBundleSource,
  dir: string,
  options: BundleConverterOptions = {},
): Promise<string> {
  const file = path.join(dir, 'workflow-bundle.js');
  fs.writeFileSync(file, (await crashPointBundle(source, options)).code);
  return file;
}
