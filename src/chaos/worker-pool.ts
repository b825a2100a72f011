/**
 * Worker processes for the chaos harness: started as children, each with its own Prometheus
 * endpoint, killed with SIGKILL on the harness's schedule, stopped gracefully at the end.
 *
 * A worker is ready when the server lists it among the pollers of the task queue (workflow and
 * activity) under the process's default identity (`defaultWorkerIdentity(pid)`). The harness kills
 * only ready workers: killing one still starting measures nothing but its start.
 *
 * With `bundlePath`, every worker (replacements too) loads the workflow bundle built once for the
 * run instead of bundling at its start, which takes seconds, over a minute on a loaded machine.
 *
 * {@link SupervisedWorkerPool} runs the workers under a failover supervisor instead (`runSupervisor`,
 * what `steadfast worker --processes N` runs): the harness kills its children, and the supervisor
 * fails their in-flight attempts at once and starts their replacements.
 */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { SteadfastProject } from '../config/project';
import { PROJECT_ROOT } from '../platform/config';
import { freePort, portFree } from '../platform/servers';
import { WorkerProcess, workerProcessEnv } from '../testing/worker-process';
import { runSupervisor, type SupervisorEvent } from '../worker/supervisor';
import type { KillRecord } from './fault-records';

/** What the pool needs of a worker process: whether it runs, a way to kill it, its exit. */
export interface PooledProcess {
  readonly running: boolean;
  kill(signal?: NodeJS.Signals): void;
  readonly exited: Promise<unknown>;
}

/** One worker child process of the pool, with its Prometheus endpoint and log file. */
export interface PooledWorker {
  pid: number;
  identity: string;
  /** `http://127.0.0.1:<port>/metrics`. */
  metricsUrl: string;
  /** Its own log file; a supervised child writes to the harness's stderr. */
  logFile?: string;
  process: PooledProcess;
  /** When the process was spawned and when the server first listed it polling (epoch ms). */
  spawnedAt: number;
  readyAt?: number;
}

/** Where and how the workers connect. */
export interface WorkerPoolOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  storeUrl: string;
  /** Directory for the workers' stderr logs. */
  logDir: string;
  client: Client;
  /** A worker script of the project's own (run through tsx) instead of `steadfast worker`. */
  entry?: string;
  /** A pre-built workflow bundle file, passed as `STEADFAST_WORKFLOW_BUNDLE` to every worker. */
  bundlePath?: string;
  /** More environment for every worker. */
  env?: Record<string, string>;
}

/** A worker of a {@link WorkerPool}: a child process of the harness's own. */
export interface LocalPooledWorker extends PooledWorker {
  process: WorkerProcess;
}

/** The pool the chaos harness drives: {@link WorkerPool} or {@link SupervisedWorkerPool}. */
export interface ChaosWorkerPool {
  readonly workers: PooledWorker[];
  readonly kills: KillRecord[];
  live(): PooledWorker[];
  ready(): PooledWorker[];
  /** Starts `n` workers and resolves once all of them poll. */
  startAll(n: number): Promise<void>;
  kill(worker: PooledWorker): KillRecord;
  stopAll(graceMs?: number): Promise<void>;
}

/** The live workers the server has seen polling, less those already killed (their exit may not have arrived yet). */
function readyUnkilled(live: PooledWorker[], kills: readonly KillRecord[]): PooledWorker[] {
  return live.filter((w) => w.readyAt !== undefined && !kills.some((k) => k.pid === w.pid));
}

/** Starts, kills and stops worker processes; keeps the kill log. */
export class WorkerPool implements ChaosWorkerPool {
  readonly workers: PooledWorker[] = [];
  readonly kills: KillRecord[] = [];
  private started = 0;

  constructor(private readonly opts: WorkerPoolOptions) {}

  /** Workers still running. */
  live(): PooledWorker[] {
    return this.workers.filter((w) => w.process.running);
  }

  /** Live workers the server has seen polling and not yet killed: the ones the harness may kill. */
  ready(): PooledWorker[] {
    return readyUnkilled(this.live(), this.kills);
  }

  async startAll(n: number): Promise<void> {
    await Promise.all(Array.from({ length: n }, () => this.start()));
  }

  /**
   * Starts one worker (`steadfast worker`, or `entry`) and waits until the server sees it polling.
   * The deadline is generous: on a loaded 2-core machine a worker process (tsx, the bundle, the
   * native runtime) takes over a minute.
   */
  async start(readyTimeoutMs = 300_000): Promise<LocalPooledWorker> {
    const port = await freePort();
    const logFile = path.join(this.opts.logDir, `worker-${++this.started}.log`);
    const spawnedAt = Date.now();
    const proc = WorkerProcess.start({
      temporal: { address: this.opts.address, namespace: this.opts.namespace, client: this.opts.client },
      taskQueue: this.opts.taskQueue,
      storeUrl: this.opts.storeUrl,
      script: this.opts.entry,
      cwd: PROJECT_ROOT,
      // Chaos runs carry fault plans on purpose.
      faultInjection: true,
      logFile,
      bundlePath: this.opts.bundlePath,
      env: { ...this.opts.env, STEADFAST_METRICS_PORT: String(port) },
      readyTimeoutMs,
    });
    const worker: LocalPooledWorker = {
      pid: proc.pid,
      identity: proc.identity,
      metricsUrl: `http://127.0.0.1:${port}/metrics`,
      logFile,
      process: proc,
      spawnedAt,
    };
    this.workers.push(worker);
    await proc.ready.catch((err: Error) => {
      throw new Error(`${err.message.split('\n')[0]}; see ${logFile}`, { cause: err });
    });
    worker.readyAt = Date.now();
    return worker;
  }

  /** SIGKILLs a worker and records the kill. */
  kill(worker: PooledWorker): KillRecord {
    const record: KillRecord = { at: Date.now(), pid: worker.pid, workerIdentity: worker.identity };
    worker.process.kill('SIGKILL');
    this.kills.push(record);
    return record;
  }

  /** Stops every live worker with SIGTERM (graceful), then SIGKILL after `graceMs`. */
  async stopAll(graceMs = 10_000): Promise<void> {
    await Promise.all(
      this.live().map(async (w) => {
        w.process.kill('SIGTERM');
        const timer = setTimeout(() => w.process.kill('SIGKILL'), graceMs);
        await w.process.exited;
        clearTimeout(timer);
      }),
    );
  }
}

/** `n` consecutive free ports on 127.0.0.1 (a supervisor gives child `i` the first port + `i - 1`). */
async function freePortRange(n: number): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const base = await freePort();
    if (base + n - 1 > 65_535) continue;
    let ok = true;
    for (let p = base + 1; p < base + n && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error(`no ${n} consecutive free ports on 127.0.0.1`);
}

/** A supervised child, as the pool sees it: signalled by pid, exit reported by the supervisor. */
class SupervisedChild implements PooledProcess {
  running = true;
  readonly exited: Promise<void>;
  private onExit!: () => void;

  constructor(readonly pid: number) {
    this.exited = new Promise((resolve) => (this.onExit = resolve));
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.running) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // Already gone; the supervisor reports the exit.
    }
  }

  markExited(): void {
    this.running = false;
    this.onExit();
  }
}

/** Where and how the supervised workers connect. */
export interface SupervisedWorkerPoolOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  storeUrl: string;
  /** The project whose workflows the supervisor bundles once for all its children. */
  project: SteadfastProject;
  /** A worker script of the project's own instead of `steadfast worker`. */
  entry?: string;
  /** Supervisor events, for the harness's log. */
  onEvent?(event: SupervisorEvent): void;
  /** More environment for every child. */
  env?: Record<string, string>;
}

/**
 * Worker processes under one failover supervisor (`runSupervisor`), in the harness's process. A
 * killed child's in-flight attempts are failed at once and its runs' sticky queues reset; the
 * supervisor starts its replacement from the bundle it built once, so the harness never respawns.
 */
export class SupervisedWorkerPool implements ChaosWorkerPool {
  readonly workers: PooledWorker[] = [];
  readonly kills: KillRecord[] = [];
  private readonly stop = new AbortController();
  private running?: Promise<void>;
  private failed?: Error;

  constructor(private readonly opts: SupervisedWorkerPoolOptions) {}

  live(): PooledWorker[] {
    return this.workers.filter((w) => w.process.running);
  }

  ready(): PooledWorker[] {
    return readyUnkilled(this.live(), this.kills);
  }

  /** Starts the supervisor with `n` children and resolves once all of them poll (within `readyTimeoutMs`). */
  async startAll(n: number, readyTimeoutMs = 300_000): Promise<void> {
    if (this.running) throw new Error('the supervisor is already running');
    const metricsBase = await freePortRange(n);
    const env = workerProcessEnv({
      temporal: { address: this.opts.address, namespace: this.opts.namespace },
      taskQueue: this.opts.taskQueue,
      storeUrl: this.opts.storeUrl,
      // Chaos runs carry fault plans on purpose.
      faultInjection: true,
      env: { ...this.opts.env, STEADFAST_METRICS_PORT: String(metricsBase) },
    });
    const bySlot = new Map<number, PooledWorker>();
    this.running = runSupervisor({
      project: this.opts.project,
      processes: n,
      env,
      entry: this.opts.entry,
      signal: this.stop.signal,
      onEvent: (e) => {
        this.opts.onEvent?.(e);
        if (e.event === 'started') {
          const worker: PooledWorker = {
            pid: e.pid,
            identity: `pid ${e.pid}`,
            metricsUrl: `http://127.0.0.1:${metricsBase + e.slot - 1}/metrics`,
            process: new SupervisedChild(e.pid),
            spawnedAt: Date.now(),
          };
          bySlot.set(e.slot, worker);
          this.workers.push(worker);
        } else if (e.event === 'ready') {
          const worker = bySlot.get(e.slot);
          if (worker?.pid === e.pid) {
            worker.identity = e.identity;
            worker.readyAt = Date.now();
          }
        } else if (e.event === 'exited') {
          const worker = this.workers.find((w) => w.pid === e.pid);
          (worker?.process as SupervisedChild | undefined)?.markExited();
        }
      },
    }).catch((err: Error) => {
      this.failed = err;
    });
    const deadline = Date.now() + readyTimeoutMs;
    while (this.ready().length < n) {
      if (this.failed) throw new Error(`the worker supervisor failed: ${this.failed.message}`, { cause: this.failed });
      if (Date.now() > deadline) throw new Error(`only ${this.ready().length} of ${n} supervised workers polled within ${readyTimeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  kill(worker: PooledWorker): KillRecord {
    const record: KillRecord = { at: Date.now(), pid: worker.pid, workerIdentity: worker.identity };
    worker.process.kill('SIGKILL');
    this.kills.push(record);
    return record;
  }

  /** Stops the supervisor: its children get SIGTERM (graceful) and it resolves once they exit. */
  async stopAll(): Promise<void> {
    this.stop.abort();
    await this.running;
  }
}
