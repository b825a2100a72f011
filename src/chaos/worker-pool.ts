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
 */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { PROJECT_ROOT } from '../platform/config';
import { freePort } from '../platform/servers';
import { WorkerProcess } from '../testing/worker-process';
import type { KillRecord } from './fault-records';

/** One worker child process of the pool, with its Prometheus endpoint and log file. */
export interface PooledWorker {
  pid: number;
  identity: string;
  /** `http://127.0.0.1:<port>/metrics`. */
  metricsUrl: string;
  logFile: string;
  process: WorkerProcess;
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
}

/** Starts, kills and stops worker processes; keeps the kill log. */
export class WorkerPool {
  readonly workers: PooledWorker[] = [];
  readonly kills: KillRecord[] = [];
  private started = 0;

  constructor(private readonly opts: WorkerPoolOptions) {}

  /** Workers still running. */
  live(): PooledWorker[] {
    return this.workers.filter((w) => w.process.running);
  }

  /** Live workers the server has seen polling: the ones the harness may kill. */
  ready(): PooledWorker[] {
    return this.live().filter((w) => w.readyAt !== undefined);
  }

  /**
   * Starts one worker (`steadfast worker`, or `entry`) and waits until the server sees it polling.
   * The deadline is generous: on a loaded 2-core machine a worker process (tsx, the bundle, the
   * native runtime) takes over a minute.
   */
  async start(readyTimeoutMs = 300_000): Promise<PooledWorker> {
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
      env: { STEADFAST_METRICS_PORT: String(port) },
      readyTimeoutMs,
    });
    const worker: PooledWorker = {
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
