/**
 * Worker supervision: failover in well under a second when a worker *process* dies.
 *
 * Without it, the server notices a dead worker only through timeouts: an activity attempt waits
 * for its heartbeat or start-to-close timeout, a task on the dead worker's sticky queue for the
 * sticky schedule-to-start timeout. A supervisor runs N worker processes as its children, learns
 * over the IPC channel what each one holds (`supervised-child.ts`), and the moment one dies it acts
 * through Temporal's public API:
 *
 *   child dies ──► fail each in-flight activity attempt by its task token
 *                  (async completion: a retryable ApplicationFailure with a minimal next retry
 *                  delay; the server schedules the retry at once and a survivor picks it up)
 *              ──► reset the sticky queue of every run cached in that child
 *                  (its next workflow task goes to the shared queue, not to the dead one)
 *              ──► start a replacement (it loads the bundle built once, so it polls in seconds)
 *
 * Heartbeat and workflow task timeouts stay the fallback for what a supervisor cannot see: a lost
 * machine (supervisor and children die together), and a workflow task in flight in the dead child
 * (its token is not exposed to user code). Failing an attempt whose effect already committed is
 * safe: the retry finds the effect recorded under its idempotency key and returns that result.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure, type Duration } from '@temporalio/common';
import { steadfastDataConverter } from '../codec';
import type { SteadfastProject } from '../config/project';
import { loadConfig, PROJECT_ROOT, serverAddress, STATE_DIR, type SteadfastConfig } from '../platform/config';
import { resolveTracing } from '../tracing/settings';
import { WORKER_PROCESS_EXITED } from '../common/failure-types';
import { GRPC_STATUS } from '../platform/grpc-status';
import { ensureSearchAttributes } from '../platform/search-attributes';
import { CRASH_POINTS_WORKFLOW_MODULE } from './crash-points';
import { FAULT_MARKING_OFF_MODULE, workflowBundle, type BundleConverterOptions, type WorkflowBundleSource } from './create-worker';
import { drainStickyQueue, findStickyQueue, type StickyQueue } from './sticky-drain';
import { attemptKey, findHeldAttempts } from './unreported-attempts';
import { isSupervisionMessage, SUPERVISED_ENV, SUPERVISION_WORKFLOW_MODULE, type SupervisionMessage } from './supervised-child';

export { WORKER_PROCESS_EXITED };

/**
 * The next retry delay of an attempt failed by the supervisor: the server honours an
 * ApplicationFailure's `nextRetryDelay` over the retry policy's backoff. Not zero: a zero duration
 * reads as "unset" on the wire, which would fall back to the policy's interval.
 */
export const FAILED_ATTEMPT_RETRY_DELAY: Duration = '1 millisecond';

/**
 * How long an attempt that has ended in a child is still failed if the child dies: its result may
 * not have reached the server yet. Failing an attempt that did complete is answered "not found"
 * and changes nothing.
 */
const RECENTLY_ENDED_MS = 5_000;

/** The most runs remembered per child as cached there (the oldest are forgotten first). */
const MAX_CACHED_RUNS = 10_000;

/** What a supervisor reports. */
export type SupervisorEvent =
  | { event: 'bundled'; file: string; ms: number }
  | { event: 'started'; slot: number; pid: number }
  | { event: 'ready'; slot: number; pid: number; identity: string }
  | { event: 'exited'; slot: number; pid: number; code: number | null; signal: NodeJS.Signals | null }
  | {
      event: 'recovered';
      pid: number;
      identity: string;
      /** Attempts failed through the async-completion API. */
      failed: number;
      /**
       * Of those, attempts the child had taken from the server but not yet reported (it died before
       * they started): found in the runs the supervisor knows, and failed by run and activity id.
       */
      unreported: number;
      /** Attempts that had already completed (the server no longer knew them). */
      alreadyDone: number;
      /** Runs whose sticky queue was reset. */
      stickyReset: number;
      /** Workflow tasks taken off the dead worker's sticky queue and moved to the shared queue. */
      stickyDrained: number;
      /** The dead worker's sticky queue, when a history had named it (none: nothing was drained). */
      stickyQueue?: string;
      /** From the child's exit to the last failure and reset (the drain's last, empty poll ends later). */
      ms: number;
      errors: string[];
    }
  | { event: 'restarting'; slot: number; delayMs: number };

interface Attempt {
  workflowId: string;
  runId: string;
  activityId: string;
  activityType: string;
  endedAt?: number;
}

interface Watched {
  pid: number;
  identity: string;
  attempts: Map<string, Attempt>;
  /** Runs cached in this child: `workflowId\0runId` → execution. */
  cached: Map<string, { workflowId: string; runId: string }>;
  /** The child's sticky queue, once a history has named it. */
  stickyQueue?: StickyQueue;
  /** Whether the supervisor is looking for the sticky queue. */
  stickyLookup: boolean;
  exited: boolean;
}

type RecoveredEvent = Extract<SupervisorEvent, { event: 'recovered' }>;

/** Options of {@link FailoverSupervisor}. */
export interface FailoverSupervisorOptions {
  /** A client of the workers' namespace (with the workers' data converter, when payloads are encrypted). */
  client: Client;
  /** Called with a `recovered` event after each child's exit has been handled. */
  onEvent?(event: SupervisorEvent): void;
}

const { NOT_FOUND } = GRPC_STATUS;

/**
 * When a child's sticky queue is first looked for, after its first cached run; each look that finds
 * nothing doubles the wait, up to {@link STICKY_LOOKUP_MAX_INTERVAL_MS} (a worker without a cache
 * never has a sticky queue, and must not cost history reads four times a second).
 */
const STICKY_LOOKUP_INTERVAL_MS = 250;
const STICKY_LOOKUP_MAX_INTERVAL_MS = 8_000;

/** How long the sticky drain's first poll gets to reach the server before the resets start. */
const DRAIN_HEAD_START_MS = 30;

/**
 * The failover core of a supervisor: watches worker child processes (started with an IPC channel
 * and `STEADFAST_SUPERVISED=1`) and, when one exits, fails its in-flight activity attempts and
 * resets the sticky queues of the runs it had cached. {@link runSupervisor} uses it; a harness that
 * starts its own worker processes can too.
 *
 * @example
 * const supervisor = new FailoverSupervisor({ client });
 * const child = fork(workerScript, [], { env: { ...process.env, STEADFAST_SUPERVISED: '1', STEADFAST_WORKFLOW_BUNDLE: file } });
 * supervisor.watch(child);
 */
export class FailoverSupervisor {
  private readonly owners = new Map<string, Watched>();
  private readonly pending = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(private readonly opts: FailoverSupervisorOptions) {}

  /** Follows `child`'s reports; when it exits, recovers its work. Resolves with the recovery's report. */
  watch(child: ChildProcess): Promise<Extract<SupervisorEvent, { event: 'recovered' }>> {
    if (child.pid === undefined) throw new Error('the worker process has no pid: it did not start');
    const watched: Watched = { pid: child.pid, identity: `pid ${child.pid}`, attempts: new Map(), cached: new Map(), stickyLookup: false, exited: false };
    child.on('message', (m: unknown) => {
      if (isSupervisionMessage(m)) this.onMessage(watched, m);
    });
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (code, signal) => resolve([code, signal])));
    return exited.then(([code, signal]) => {
      watched.exited = true;
      if (this.stopped) return this.report(watched, 0, { failed: 0, unreported: 0, alreadyDone: 0, stickyReset: 0, stickyDrained: 0, errors: [] });
      // Only a recovery under way is pending: `stop()` must not wait for children that still run.
      const recovery = (async () => {
        // Messages the child sent just before it died may still be in the channel.
        if (child.connected) await Promise.race([once(child, 'disconnect'), new Promise((r) => setTimeout(r, 200))]);
        return this.recover(watched, code, signal);
      })();
      this.pending.add(recovery);
      void recovery.finally(() => this.pending.delete(recovery));
      return recovery;
    });
  }

  /** Waits for recoveries still under way. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  /**
   * Stops recovering: children that exit from now on are left alone (call it before killing the
   * children at the end of a run, and before closing the client). Resolves once recoveries under
   * way have finished.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.settled();
  }

  private onMessage(w: Watched, m: SupervisionMessage): void {
    switch (m.steadfast) {
      case 'ready':
        w.identity = m.identity;
        break;
      case 'activity-start':
        w.attempts.set(m.taskToken, { workflowId: m.workflowId, runId: m.runId, activityId: m.activityId, activityType: m.activityType });
        break;
      case 'activity-end': {
        const attempt = w.attempts.get(m.taskToken);
        if (attempt) attempt.endedAt = Date.now();
        const cutoff = Date.now() - RECENTLY_ENDED_MS;
        for (const [token, a] of w.attempts) if (a.endedAt !== undefined && a.endedAt < cutoff) w.attempts.delete(token);
        break;
      }
      case 'workflow-cached': {
        const key = `${m.workflowId}\0${m.runId}`;
        const previous = this.owners.get(key);
        if (previous && previous !== w) previous.cached.delete(key);
        this.owners.set(key, w);
        w.cached.delete(key); // re-insert: the map's order is the cache order
        w.cached.set(key, { workflowId: m.workflowId, runId: m.runId });
        if (w.cached.size > MAX_CACHED_RUNS) {
          const oldest = w.cached.keys().next().value as string;
          w.cached.delete(oldest);
          if (this.owners.get(oldest) === w) this.owners.delete(oldest);
        }
        this.learnStickyQueue(w);
        break;
      }
    }
  }

  /**
   * Learns a child's sticky queue while it lives, so that a drain can start the moment it dies. A
   * history names the queue once a task of a run cached there has been scheduled on it, usually
   * within a second of the run's first activity. From the first cached run on, this looks after
   * 250 ms, then after twice as long each time (up to 8 s), until a history names it; a look reads
   * the tails of up to eight histories, of the newest cached runs.
   */
  private learnStickyQueue(w: Watched): void {
    if (w.stickyQueue || w.stickyLookup || w.exited || this.stopped) return;
    w.stickyLookup = true;
    let wait = STICKY_LOOKUP_INTERVAL_MS;
    const look = () => {
      if (w.exited || this.stopped) return;
      void findStickyQueue(this.opts.client, w.identity, [...w.cached.values()])
        .catch(() => undefined)
        .then((queue) => {
          if (queue) w.stickyQueue = queue;
          else setTimeout(look, (wait = Math.min(wait * 2, STICKY_LOOKUP_MAX_INTERVAL_MS))).unref();
        });
    };
    setTimeout(look, wait).unref();
  }

  private async recover(w: Watched, code: number | null, signal: NodeJS.Signals | null) {
    const t0 = Date.now();
    const { client } = this.opts;
    const namespace = client.options.namespace;
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const errors: string[] = [];
    let failed = 0;
    let alreadyDone = 0;
    const fail = async (target: Uint8Array | { workflowId: string; runId: string; activityId: string }, a: { workflowId: string; activityId: string; activityType: string }) => {
      const err = ApplicationFailure.create({
        type: WORKER_PROCESS_EXITED,
        message:
          `worker process ${w.identity} ${how} during attempt of ${a.activityType} (activity ${a.activityId}); ` +
          'failed by its supervisor so that a surviving worker retries it at once',
        nextRetryDelay: FAILED_ATTEMPT_RETRY_DELAY,
      });
      try {
        await (target instanceof Uint8Array ? client.activity.fail(target, err) : client.activity.fail(target, err));
        failed++;
      } catch (e) {
        // Completed, timed out or already failed: the server no longer waits for this attempt.
        if ((e as { code?: number }).code === NOT_FOUND || (e as Error).name === 'ActivityNotFoundError') alreadyDone++;
        else errors.push(`failing ${a.activityType} of ${a.workflowId}: ${(e as Error).message}`);
      }
    };
    const failAttempts = [...w.attempts].map(([token, a]) => fail(Buffer.from(token, 'base64'), a));
    // Attempts the child took from the server but died before starting: only the server knows them.
    const known = new Set([...w.attempts.values()].map((a) => attemptKey(a.workflowId, a.runId, a.activityId)));
    const runs = [...new Set(this.owners.values())].flatMap((child) => [...child.cached.values()]);
    const failUnreported = (async () => {
      if (w.identity.startsWith('pid ')) return 0; // it never polled: it holds nothing
      const held = await findHeldAttempts(client, w.identity, runs, known);
      errors.push(...held.errors);
      await Promise.all(held.attempts.map((a) => fail({ workflowId: a.workflowId, runId: a.runId, activityId: a.activityId }, a)));
      return held.attempts.length;
    })();
    let stickyReset = 0;
    // After a graceful shutdown the SDK has told the server itself; its sticky tasks already moved.
    const graceful = code === 0 && signal === null;
    const cached = graceful ? [] : [...w.cached.entries()];
    // Tasks already queued on the dead worker's sticky queue are drained while the resets run: a
    // reset alone would leave them to wait out the sticky timeout (sticky-drain.ts).
    const stickyQueue =
      cached.length > 0 ? (w.stickyQueue ?? (await findStickyQueue(client, w.identity, cached.map(([, execution]) => execution)))) : undefined;
    let resetsDone!: () => void;
    const resetsSettled = new Promise<void>((resolve) => (resetsDone = resolve));
    const drain = stickyQueue ? drainStickyQueue(client, stickyQueue, resetsSettled) : undefined;
    // Let the drain's first poll reach the server before any reset makes a queued task unreachable.
    if (drain) await new Promise((r) => setTimeout(r, DRAIN_HEAD_START_MS));
    const resets = cached.map(async ([key, execution]) => {
      if (this.owners.get(key) === w) this.owners.delete(key);
      try {
        await client.workflowService.resetStickyTaskQueue({ namespace, execution });
        stickyReset++;
      } catch (e) {
        // A run that has closed has no sticky queue left to reset.
        if ((e as { code?: number }).code !== NOT_FOUND) errors.push(`resetting the sticky queue of ${execution.workflowId}: ${(e as Error).message}`);
      }
    });
    const [unreported] = await Promise.all([failUnreported, ...failAttempts, ...resets]);
    const ms = Date.now() - t0;
    resetsDone();
    const drained = drain ? await drain : { bounced: 0, errors: [] };
    errors.push(...drained.errors);
    return this.report(w, ms, { failed, unreported, alreadyDone, stickyReset, stickyDrained: drained.bounced, ...(stickyQueue ? { stickyQueue: stickyQueue.name } : {}), errors });
  }

  private report(w: Watched, ms: number, counts: Omit<RecoveredEvent, 'event' | 'pid' | 'identity' | 'ms'>) {
    for (const key of w.cached.keys()) if (this.owners.get(key) === w) this.owners.delete(key);
    w.attempts.clear();
    w.cached.clear();
    const report = { event: 'recovered' as const, pid: w.pid, identity: w.identity, ...counts, ms };
    this.opts.onEvent?.(report);
    return report;
  }
}

/** What goes into a supervised workers' bundle besides the supervision module. */
export interface SupervisedBundleOptions extends BundleConverterOptions {
  /** Add the crash-point module (workers started with `STEADFAST_CRASH_POINTS_DIR`; tests and benchmarks). */
  crashPoints?: boolean;
  /** False when the namespace lacks Steadfast's search attributes (adds the module that turns fault marking off). */
  faultMarking?: boolean;
}

/**
 * Bundles the workflow code for supervised worker processes: Steadfast's interceptor modules plus
 * the supervision module, whose sink only a supervised worker registers. Build it once and pass
 * the file to every child as `STEADFAST_WORKFLOW_BUNDLE`.
 */
export async function supervisedBundle(source: WorkflowBundleSource, opts: SupervisedBundleOptions = {}): Promise<{ code: string }> {
  const modules = [SUPERVISION_WORKFLOW_MODULE];
  if (opts.crashPoints) modules.push(CRASH_POINTS_WORKFLOW_MODULE);
  if (opts.faultMarking === false) modules.push(FAULT_MARKING_OFF_MODULE);
  return workflowBundle(source, modules, { encodeFailures: opts.encodeFailures, tracing: opts.tracing });
}

/** The variables that name a port each worker process binds (metrics, health). */
const PORT_VARIABLES = ['STEADFAST_METRICS_PORT', 'STEADFAST_HEALTH_PORT'] as const;

/**
 * Per-process ports: slot `i` (from 1) binds the configured port plus `i - 1` (`9464` → 9464, 9465, …; the host of
 * a `host:port` is kept), so N children never race for one port. Port 0 (any free port) and values
 * that are not a port are passed as they are; the child reports a bad value itself.
 */
export function portsOfSlot(env: NodeJS.ProcessEnv, slot: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PORT_VARIABLES) {
    const m = /^(?:(.*):)?(\d+)$/.exec(env[name]?.trim() ?? '');
    if (!m || Number(m[2]) === 0) continue;
    out[name] = `${m[1] !== undefined ? `${m[1]}:` : ''}${Number(m[2]) + slot - 1}`;
  }
  return out;
}

/** The `steadfast` executable: src/worker and dist/worker both sit two folders below bin/. */
const STEADFAST_BIN = path.join(__dirname, '..', '..', 'bin', 'steadfast.js');

/** Options of {@link runSupervisor}. */
export interface RunSupervisorOptions {
  /** The user's workflows and activities (the default export of `steadfast.config.ts`), bundled once here. */
  project: SteadfastProject;
  /** How many worker processes to keep running (at least 1). */
  processes: number;
  /** The connection, namespace, task queue and store (default: `loadConfig(env)`). */
  config?: SteadfastConfig;
  /** The workers' environment (default `process.env`); the supervisor adds its own variables. */
  env?: NodeJS.ProcessEnv;
  /**
   * The worker process: a script of the project's own that calls `runWorker` (run with
   * `node --import tsx` when it ends in `.ts`). Default: `steadfast worker`.
   */
  entry?: string;
  /** Stops the supervisor: its workers get SIGTERM (graceful shutdown) and it resolves once they exit. */
  signal?: AbortSignal;
  /** Called with each event: bundle built, child started, ready, exited, its work recovered, restarting. */
  onEvent?(event: SupervisorEvent): void;
}

/** Thrown when a worker process exits with a configuration error (exit code 2): restarting would not help. */
export class SupervisorConfigError extends Error {
  /** Always `SupervisorConfigError`. */
  override readonly name = 'SupervisorConfigError';
}

/** A child that dies within this long of its start is restarted with a growing delay. */
const EARLY_EXIT_MS = 10_000;

/**
 * Runs `processes` worker processes and keeps them running: builds the workflow bundle once (so that
 * a replacement polls within seconds), starts the children with an IPC channel, and when one dies
 * fails its in-flight activity attempts and resets its sticky queues at once ({@link FailoverSupervisor}),
 * then starts a replacement. Resolves when `signal` aborts and every child has exited; rejects with
 * a {@link SupervisorConfigError} when a child reports a bad setting (exit code 2).
 *
 * The children are ordinary worker processes (`runWorker`), configured by the same variables; the
 * supervisor sets `STEADFAST_SUPERVISED=1`, `STEADFAST_WORKFLOW_BUNDLE` and, when
 * `STEADFAST_WORKER_IDENTITY` is set, a distinct identity per child.
 *
 * @example
 * const stop = new AbortController();
 * process.once('SIGTERM', () => stop.abort());
 * await runSupervisor({ project, processes: 4, signal: stop.signal, onEvent: (e) => console.log(JSON.stringify(e)) });
 */
export async function runSupervisor(opts: RunSupervisorOptions): Promise<void> {
  if (!Number.isInteger(opts.processes) || opts.processes < 1) {
    throw new SupervisorConfigError(`processes must be a positive integer; got ${opts.processes}`);
  }
  const env = opts.env ?? process.env;
  const config = opts.config ?? loadConfig(env);
  const emit = (e: SupervisorEvent) => opts.onEvent?.(e);
  const { address } = serverAddress(config);
  const { namespace } = config.temporal;
  const connection = await Connection.connect({ address, ...config.temporal.connectionOptions });
  const client = new Client({
    connection,
    namespace,
    dataConverter: steadfastDataConverter(config.codecKeys),
    identity: `steadfast-supervisor-${process.pid}@${os.hostname()}`,
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-supervisor-'));
  try {
    let faultMarking = true;
    try {
      await ensureSearchAttributes(connection, namespace);
    } catch {
      // The children warn with the command that registers them; the bundle must then not mark faults.
      faultMarking = false;
    }
    const t = Date.now();
    const file = path.join(dir, 'workflow-bundle.js');
    const bundle = await supervisedBundle(opts.project, {
      crashPoints: Boolean(env.STEADFAST_CRASH_POINTS_DIR?.trim()),
      faultMarking,
      encodeFailures: config.codecKeys !== undefined,
      // Children that trace refuse a bundle without the tracing module.
      tracing: resolveTracing(config.tracing ?? {}, opts.project.tracing, { root: PROJECT_ROOT, stateDir: STATE_DIR }) !== undefined,
    });
    fs.writeFileSync(file, bundle.code);
    emit({ event: 'bundled', file, ms: Date.now() - t });
    await superviseChildren(opts, env, file, new FailoverSupervisor({ client, onEvent: emit }), emit);
  } finally {
    await connection.close().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function superviseChildren(
  opts: RunSupervisorOptions,
  env: NodeJS.ProcessEnv,
  bundleFile: string,
  supervisor: FailoverSupervisor,
  emit: (e: SupervisorEvent) => void,
): Promise<void> {
  const children = new Map<number, ChildProcess>();
  const stopping = opts.signal?.aborted ? Promise.resolve() : new Promise<void>((r) => opts.signal?.addEventListener('abort', () => r(), { once: true }));
  let stopped = opts.signal?.aborted ?? false;
  let fatal: Error | undefined;
  let done!: () => void;
  const allStopped = new Promise<void>((r) => (done = r));
  let generation = 0;

  const start = (slot: number, failures: number): void => {
    const entry = opts.entry ?? STEADFAST_BIN;
    const baseIdentity = env.STEADFAST_WORKER_IDENTITY?.trim();
    const child = fork(entry, opts.entry ? [] : ['worker'], {
      env: {
        ...env,
        [SUPERVISED_ENV]: '1',
        STEADFAST_WORKFLOW_BUNDLE: bundleFile,
        ...(baseIdentity ? { STEADFAST_WORKER_IDENTITY: `${baseIdentity}-${slot}.${++generation}` } : {}),
        ...portsOfSlot(env, slot),
      },
      execArgv: opts.entry?.endsWith('.ts') ? ['--import', 'tsx'] : [],
      // The children's output goes to stderr: stdout is the supervisor's own (JSON Lines with --json).
      stdio: ['ignore', 2, 2, 'ipc'],
    });
    const pid = child.pid!;
    const startedAt = Date.now();
    children.set(slot, child);
    emit({ event: 'started', slot, pid });
    child.on('message', (m: unknown) => {
      if (isSupervisionMessage(m) && m.steadfast === 'ready') emit({ event: 'ready', slot, pid, identity: m.identity });
    });
    void supervisor.watch(child);
    child.once('exit', (code, signal) => {
      children.delete(slot);
      emit({ event: 'exited', slot, pid, code, signal });
      if (code === 2 && !stopped) {
        fatal = new SupervisorConfigError(`worker process ${pid} exited with code 2: a bad setting (see its message above)`);
        stop();
      }
      if (stopped) {
        if (children.size === 0) done();
        return;
      }
      const early = Date.now() - startedAt < EARLY_EXIT_MS;
      const delayMs = early ? Math.min(30_000, 1000 * 2 ** failures) : 0;
      if (delayMs) emit({ event: 'restarting', slot, delayMs });
      setTimeout(() => {
        if (!stopped) start(slot, early ? failures + 1 : 0);
        else if (children.size === 0) done();
      }, delayMs);
    });
  };

  const stop = () => {
    if (stopped && children.size === 0) return done();
    stopped = true;
    for (const child of children.values()) child.kill('SIGTERM');
    if (children.size === 0) done();
  };

  for (let slot = 1; slot <= opts.processes; slot++) start(slot, 0);
  void stopping.then(stop);
  // Keeps the event loop alive while only children run.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  try {
    await allStopped;
    await supervisor.settled();
  } finally {
    clearInterval(keepAlive);
  }
  if (fatal) throw fatal;
}
