/**
 * Worker processes for the chaos harness: started as children, each with its own Prometheus
 * endpoint, killed with SIGKILL on the harness's schedule, stopped gracefully at the end.
 *
 * A worker is ready when the server lists it among the pollers of the task queue (workflow and
 * activity) under the process's default identity (`defaultWorkerIdentity(pid)`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { PROJECT_ROOT } from '../platform/config';
import { freePort } from '../platform/servers';
import { defaultWorkerIdentity } from '../worker/run-worker';
import type { KillRecord } from './fault-records';

/**
 * The worker process: `steadfast worker` for the project's own workflows and activities, configured
 * by the environment (see `runWorker`). src/chaos and dist/chaos both sit two folders below bin/.
 */
export const WORKER_ENTRY = path.join(__dirname, '..', '..', 'bin', 'steadfast.js');

/** One worker child process. */
export interface WorkerProcess {
  pid: number;
  identity: string;
  /** `http://127.0.0.1:<port>/metrics`. */
  metricsUrl: string;
  logFile: string;
  child: ChildProcess;
  /** Settles with the exit code (or the signal name) when the process ends. */
  exited: Promise<number | string>;
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
}

/** Starts, kills and stops worker processes; keeps the kill log. */
export class WorkerPool {
  readonly workers: WorkerProcess[] = [];
  readonly kills: KillRecord[] = [];
  private started = 0;

  constructor(private readonly opts: WorkerPoolOptions) {}

  /** Workers still running. */
  live(): WorkerProcess[] {
    return this.workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
  }

  /** Starts one worker and waits until the server sees it polling. */
  async start(readyTimeoutMs = 180_000): Promise<WorkerProcess> {
    const port = await freePort();
    const n = ++this.started;
    const logFile = path.join(this.opts.logDir, `worker-${n}.log`);
    const log = fs.openSync(logFile, 'a');
    const args = this.opts.entry ? ['--import', 'tsx', this.opts.entry] : [WORKER_ENTRY, 'worker'];
    const child = spawn(process.execPath, args, {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: this.opts.address,
        TEMPORAL_NAMESPACE: this.opts.namespace,
        STEADFAST_TASK_QUEUE: this.opts.taskQueue,
        STEADFAST_STORE: this.opts.storeUrl,
        // Chaos runs carry fault plans on purpose.
        STEADFAST_FAULT_INJECTION: '1',
        STEADFAST_METRICS_PORT: String(port),
        STEADFAST_LOG_LEVEL: process.env.STEADFAST_LOG_LEVEL ?? 'ERROR',
      },
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    if (child.pid === undefined) throw new Error(`could not start a worker process (${this.opts.entry ?? WORKER_ENTRY})`);
    const exited = new Promise<number | string>((resolve) =>
      child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
    );
    const worker: WorkerProcess = {
      pid: child.pid,
      identity: defaultWorkerIdentity(child.pid),
      metricsUrl: `http://127.0.0.1:${port}/metrics`,
      logFile,
      child,
      exited,
    };
    this.workers.push(worker);
    await this.waitReady(worker, readyTimeoutMs);
    return worker;
  }

  private async waitReady(worker: WorkerProcess, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;
    for (;;) {
      if (worker.child.exitCode !== null || worker.child.signalCode !== null) {
        throw new Error(`worker ${worker.identity} exited before it was ready; see ${worker.logFile}`);
      }
      const polling = await Promise.all(
        [TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY].map(async (taskQueueType) => {
          const r = await this.opts.client.workflowService.describeTaskQueue({
            namespace: this.opts.namespace,
            taskQueue: { name: this.opts.taskQueue },
            taskQueueType,
          });
          return (r.pollers ?? []).some((p) => p.identity === worker.identity);
        }),
      ).catch(() => [false]);
      if (polling.every(Boolean)) return;
      if (Date.now() > deadline) {
        throw new Error(`worker ${worker.identity} did not start polling within ${timeoutMs} ms; see ${worker.logFile}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** SIGKILLs a worker and records the kill. */
  kill(worker: WorkerProcess): KillRecord {
    const record: KillRecord = { at: Date.now(), pid: worker.pid, workerIdentity: worker.identity };
    worker.child.kill('SIGKILL');
    this.kills.push(record);
    return record;
  }

  /** Stops every live worker with SIGTERM (graceful), then SIGKILL after `graceMs`. */
  async stopAll(graceMs = 10_000): Promise<void> {
    await Promise.all(
      this.live().map(async (w) => {
        w.child.kill('SIGTERM');
        const timer = setTimeout(() => w.child.kill('SIGKILL'), graceMs);
        await w.exited;
        clearTimeout(timer);
      }),
    );
  }
}
