/**
 * Crash points: hooks that let a test or benchmark kill a worker process *at* a chosen moment
 * instead of at a random one. They are off unless the worker process is started with
 * `STEADFAST_CRASH_POINTS_DIR=<dir>`; domain code knows nothing of them.
 *
 * Points (`P` is an activity type):
 *
 *   workflow-task.P   the worker is completing a workflow task that schedules P (the task is in flight)
 *   activity-start.P  an attempt of P starts, before its effect
 *   after-effect.P    an attempt of P returned, so its effect committed; its result is not yet reported
 *
 * At every point the worker prints one marker line on stdout, `steadfast-crash-point {json}`
 * (see {@link CrashPointMarker}).
 *
 * Arming: create the file `<dir>/<point>.<P>` (empty, or holding the idempotency key of the one
 * activity request that may claim it, or the workflow id of the one run whose requests may). The first process to reach an armed point claims it
 * by an atomic rename to `<point>.<P>.held` (so exactly one process holds, however many workers
 * share the directory), prints its marker with `held: true`, and holds there until the `.held` file
 * is deleted (released) or the process is killed.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Context } from '@temporalio/activity';
import {
  type ActivityInboundCallsInterceptor,
  type ActivityInterceptorsFactory,
  type InjectedSinks,
} from '@temporalio/worker';
import type { CrashPointSinks } from '../workflow/crash-points';
import { type BundleConverterOptions, workflowBundle, type WorkflowBundleSource } from './create-worker';

/** The prefix of every marker line. */
export const CRASH_POINT_MARKER = 'steadfast-crash-point ';

/**
 * A moment a worker can be killed at (see the module doc): `workflow-task` (completing a workflow
 * task that schedules the activity), `activity-start` (an attempt starts, before its effect) or
 * `after-effect` (the attempt's effect committed, its result not yet reported).
 */
export type CrashPoint = 'workflow-task' | 'activity-start' | 'after-effect';

/** What a marker line carries. `at` is the wall-clock time (ms) at which the point was reached. */
export interface CrashPointMarker {
  /** The point reached. */
  point: CrashPoint;
  /** The activity type the point is about (scheduled, or attempted). */
  activityType: string;
  /** Idempotency key of the activity's request, when it has one. */
  key?: string;
  /** The workflow id of the run the activity belongs to. */
  workflowId: string;
  /** The run id of that run. */
  runId: string;
  /** Activity attempt (activity points only). */
  attempt?: number;
  /** The identity of the worker that reached the point. */
  identity: string;
  /** The process id of that worker. */
  pid: number;
  /** True when this process claimed the armed point and holds there until released or killed. */
  held: boolean;
  /** Wall-clock time at which the point was reached: epoch milliseconds. */
  at: number;
}

/** The file that arms `point` for `activityType`. */
export function armFile(dir: string, point: CrashPoint, activityType: string): string {
  return path.join(dir, `${point}.${activityType}`);
}

/**
 * Arms a point: the next process to reach it holds there. With `key`, only an activity whose
 * request has that idempotency key, or that runs for the workflow with that id, claims it (others
 * pass, e.g. leftovers of an earlier run). `dir` is the worker's `STEADFAST_CRASH_POINTS_DIR`
 * (`WorkerProcessOptions.crashPointsDir`).
 *
 * @example
 * arm(crashPointsDir, 'after-effect', 'bookFlight', workflowId);
 * const marker = await worker.waitForMarker((m) => m.point === 'after-effect' && m.held);
 * worker.kill();                                   // the effect committed, its result never reported
 * // or, to let it carry on: release(crashPointsDir, 'after-effect', 'bookFlight');
 */
export function arm(dir: string, point: CrashPoint, activityType: string, key?: string): void {
  fs.writeFileSync(armFile(dir, point, activityType), key ?? '');
}

/** Releases a process holding at `point`: it carries on as if nothing had happened. */
export function release(dir: string, point: CrashPoint, activityType: string): void {
  fs.rmSync(`${armFile(dir, point, activityType)}.held`, { force: true });
}

/** Reaches a point: prints the marker and, if this process claims the armed point, holds. */
async function reach(dir: string, marker: Omit<CrashPointMarker, 'held' | 'at' | 'pid'>): Promise<void> {
  const armed = armFile(dir, marker.point, marker.activityType);
  const held = `${armed}.held`;
  let claimed = false;
  try {
    const wantedKey = fs.readFileSync(armed, 'utf8');
    if (wantedKey === '' || wantedKey === marker.key || wantedKey === marker.workflowId) {
      fs.renameSync(armed, held); // atomic: of all processes that try, exactly one succeeds
      claimed = true;
    }
  } catch {
    // Not armed, or another process claimed it first.
  }
  const line: CrashPointMarker = { ...marker, pid: process.pid, held: claimed, at: Date.now() };
  process.stdout.write(`${CRASH_POINT_MARKER}${JSON.stringify(line)}\n`);
  while (claimed && fs.existsSync(held)) await new Promise((r) => setTimeout(r, 20));
}

function requestKey(args: unknown[]): string | undefined {
  const key = (args[0] as { key?: unknown } | undefined)?.key;
  return typeof key === 'string' ? key : undefined;
}

class CrashPointActivityInterceptor implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly ctx: Context,
    private readonly dir: string,
    private readonly identity: string,
  ) {}

  async execute(
    input: Parameters<NonNullable<ActivityInboundCallsInterceptor['execute']>>[0],
    next: Parameters<NonNullable<ActivityInboundCallsInterceptor['execute']>>[1],
  ): Promise<unknown> {
    const { activityType, attempt, workflowExecution } = this.ctx.info;
    const base = {
      activityType,
      attempt,
      key: requestKey(input.args),
      workflowId: workflowExecution?.workflowId ?? '',
      runId: workflowExecution?.runId ?? '',
      identity: this.identity,
    };
    await reach(this.dir, { ...base, point: 'activity-start' });
    const result = await next(input);
    await reach(this.dir, { ...base, point: 'after-effect' });
    return result;
  }
}

/** The worker options that install the crash points (activity interceptor and workflow sink). */
export function crashPointOptions(dir: string, identity: string) {
  const activity: ActivityInterceptorsFactory = (ctx) => ({
    inbound: new CrashPointActivityInterceptor(ctx, dir, identity),
  });
  const sinks: InjectedSinks<CrashPointSinks> = {
    crashPoints: {
      scheduling: {
        fn: (info, activityType, key) =>
          reach(dir, { point: 'workflow-task', activityType, key, workflowId: info.workflowId, runId: info.runId, identity }),
        callDuringReplay: false,
      },
    },
  };
  return { activityInterceptor: activity, sinks };
}

/** The workflow interceptor module that calls the crash-point sink. */
export const CRASH_POINTS_WORKFLOW_MODULE = require.resolve('../workflow/crash-points');

/**
 * Bundles the workflows with the crash-point interceptor. Write `code` to a file and pass it as
 * `STEADFAST_WORKFLOW_BUNDLE` to spare each worker process its own bundling.
 */
export async function crashPointBundle(source: WorkflowBundleSource, converter: BundleConverterOptions = {}): Promise<{ code: string }> {
  return workflowBundle(source, [CRASH_POINTS_WORKFLOW_MODULE], converter);
}
