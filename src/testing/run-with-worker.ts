/**
 * Running a Steadfast worker around a block of test code, and putting a fault plan on a run.
 */
import type { NativeConnection } from '@temporalio/worker';
import { FAULT_PLAN_MEMO_KEY, type FaultPlan } from '../common/fault-plan';
import { faultPlanSchema } from '../common/schemas';
import { createWorker, type SteadfastWorkerOptions } from '../worker/create-worker';

/**
 * The server a test worker connects to: what `startTimeSkippingServer` and `startDevServer`
 * return, or the SDK's own `TestWorkflowEnvironment`.
 */
export interface WorkerTarget {
  /** The worker's connection to the server. */
  nativeConnection: NativeConnection;
  /** The namespace the worker polls; default `default`. */
  namespace?: string;
}

/** Options of {@link runWithWorker}: `createWorker`'s, without the connection and namespace. */
export interface RunWithWorkerOptions extends Omit<SteadfastWorkerOptions, 'connection' | 'namespace' | 'faultInjection'> {
  /** Honour fault plans ({@link withFaultPlan}); default `true` in tests. */
  faultInjection?: boolean;
}

/**
 * Creates a Steadfast worker (`createWorker`) on the test server, runs `fn` while it polls, and
 * shuts the worker down when `fn` settles; returns what `fn` returns. Fault injection is on unless
 * `faultInjection: false`. The worker registers Steadfast's search attributes when the namespace
 * lacks them (or switches fault marking off with a warning when it may not).
 *
 * @example
 * const result = await runWithWorker(
 *   temporal,
 *   { taskQueue, workflowsPath: require.resolve('../workflows'), activities: createActivities(store) },
 *   () => temporal.client.workflow.execute(bookTrip, { taskQueue, workflowId: uniqueId('trip'), args: [input] }),
 * );
 */
export async function runWithWorker<T>(temporal: WorkerTarget, opts: RunWithWorkerOptions, fn: () => Promise<T>): Promise<T> {
  const worker = await createWorker({
    ...opts,
    connection: temporal.nativeConnection,
    namespace: temporal.namespace ?? 'default',
    faultInjection: opts.faultInjection ?? true,
  });
  return worker.runUntil(fn);
}

/**
 * Start options that put a fault plan on a run: spread them into `client.workflow.start` (or
 * `execute`). The plan is validated first; a bad one throws naming the field. Only a worker with
 * fault injection on (as {@link runWithWorker}'s is by default) honours it.
 *
 * @example
 * const handle = await temporal.client.workflow.start(bookTrip, {
 *   taskQueue,
 *   workflowId: uniqueId('trip'),
 *   args: [input],
 *   ...withFaultPlan({ bookHotel: { kind: 'permanent' } }),
 * });
 */
export function withFaultPlan(plan: FaultPlan): { memo: Record<string, unknown> } {
  const parsed = faultPlanSchema.safeParse(plan);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = ['faultPlan', ...issue.path.map(String)].join('.');
    throw new TypeError(`invalid fault plan: ${field}: ${issue.message}`);
  }
  return { memo: { [FAULT_PLAN_MEMO_KEY]: parsed.data } };
}
