/**
 * Running one finance workflow in a test: a worker on a unique task queue over the given store, the
 * run started with an optional fault plan, an optional action while it runs (e.g. cancel it), and
 * then everything a test asserts on: the outcome, the trail read from history, the compensations in
 * the order they were scheduled, the run record and the verify report.
 */
import assert from 'node:assert/strict';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { EffectStore } from '../src/activity/store';
import { verifyStore, type RunRecord, type VerifyReport } from '../activities/verify';
import { runKeysOf, runRecordOf } from '../src/client/run-record';
import { faultAttributes, type FaultAttributes } from '../src/client/runs';
import { trailFromEvents, type TrailStep } from '../src/client/trail';
import { startTimeSkippingServer, type TemporalHandle } from '../src/platform/servers';
import { workflowStartOptions } from '../src/common/failover';
import { referenceWorker } from './reference-worker';
import { FAULT_PLAN_MEMO_KEY, type FaultPlan } from '../src/common/fault-plan';
import { runKeyOf, runKeyPrefix, stepOfRunKey, type RunKeys } from '../src/common/idempotency-key';
import { historyEvents, uniqueId, waitUntil } from './helpers';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Activity types that are compensations. */
export const COMPENSATIONS = new Set([
  'releaseInventory',
  'refundPayment',
  'cancelShipment',
  'retractNotification',
  'reverseWithdrawal',
  'reverseDeposit',
]);

/** Everything a test looks at after a run. */
export interface FinishedRun<R> {
  handle: WorkflowHandle;
  workflowId: string;
  /** The result, when the run completed. */
  result?: R;
  /** The error `result()` threw, when it did not. */
  error?: unknown;
  events: HistoryEvent[];
  trail: TrailStep[];
  /** Forward steps (activity types), in schedule order. */
  steps: string[];
  /** Compensations (activity types), in schedule order. */
  compensations: string[];
  record: RunRecord;
  report: VerifyReport;
  /** What the run recorded in its fault search attributes (`SteadfastCompensated`, …). */
  faults: FaultAttributes;
}

export interface RunOptions {
  faults?: FaultPlan;
  /** Prefix of the workflow id (business identity), e.g. `order-42`. */
  idPrefix?: string;
  /** Runs while the worker runs, before the result is awaited (e.g. wait for an effect, then cancel). */
  whileRunning?: (handle: WorkflowHandle, workflowId: string) => Promise<void>;
}

/** Runs `workflow(input)` to its end on a fresh worker and gathers what tests assert on. */
export async function runFinance<I, R>(
  temporal: TemporalHandle,
  store: EffectStore,
  workflow: (input: I) => Promise<R>,
  input: I,
  opts: RunOptions = {},
): Promise<FinishedRun<R>> {
  const taskQueue = uniqueId('finance-tq');
  const workflowId = uniqueId(opts.idPrefix ?? workflow.name);
  const worker = await referenceWorker({ connection: temporal.nativeConnection, namespace: temporal.namespace, taskQueue, store });
  const handle = await temporal.client.workflow.start(workflow, {
    taskQueue,
    workflowId,
    args: [input],
    memo: opts.faults ? { [FAULT_PLAN_MEMO_KEY]: opts.faults } : undefined,
    ...workflowStartOptions(),
  });
  const outcome = await worker.runUntil(async () => {
    await opts.whileRunning?.(handle, workflowId);
    return handle.result().then(
      (result) => ({ result: result as R }),
      (error: unknown) => ({ error }),
    );
  });
  const events = await historyEvents(handle);
  const trail = trailFromEvents(events);
  const activities = trail.filter((s) => s.kind === 'activity').map((s) => s.name);
  const record = await runRecordOf(handle);
  return {
    handle,
    workflowId,
    ...outcome,
    events,
    trail,
    steps: activities.filter((a) => !COMPENSATIONS.has(a)),
    compensations: activities.filter((a) => COMPENSATIONS.has(a)),
    record,
    report: await verifyStore(store, { runs: [record] }),
    faults: faultAttributes(await handle.describe()),
  };
}

/** The trail entry of one activity type (the first, if it ran more than once). */
export function stepOf(run: FinishedRun<unknown>, activity: string): TrailStep {
  const step = run.trail.find((s) => s.kind === 'activity' && s.name === activity);
  assert.ok(step, `${activity} is not in the trail: ${run.trail.map((s) => s.name).join(', ')}`);
  return step;
}

/**
 * Asserts the run failed because an activity failed with an `ApplicationFailure` of `type`
 * (a business rejection or a simulated fault); returns that failure.
 */
export function assertFailedWith(run: FinishedRun<unknown>, type: string): ApplicationFailure {
  assert.ok(run.error instanceof WorkflowFailedError, `expected the run to fail, got ${String(run.error ?? 'a result')}`);
  const cause = run.error.cause;
  const inner = cause instanceof ActivityFailure ? cause.cause : cause;
  assert.ok(inner instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(inner)}`);
  assert.equal(inner.type, type, inner.message);
  return inner;
}

/** Asserts that the verify report has no violations, printing them if it does. */
export function assertVerified(run: FinishedRun<unknown>): void {
  assert.deepEqual(run.report.violations, [], 'verifyStore found violations');
}

/** The outcome recorded for each compensated step key of a run (`undone` or `nothing-to-undo`). */
export async function compensationOutcomes(store: EffectStore, run: RunKeys): Promise<Record<string, string>> {
  const rows = await store.all<{ key: string; outcome: string }>('SELECT key, outcome FROM steadfast_compensations WHERE key LIKE ?', [
    `${runKeyPrefix(run)}%`,
  ]);
  return Object.fromEntries(rows.map((r) => [stepOfRunKey(run, r.key), r.outcome]));
}

/**
 * Registers `before`/`after` hooks that give the enclosing suite a time-skipping server of its
 * own; read it as `.temporal` inside tests. (A cancelled attempt that still hangs in a worker holds
 * the server's clock until its timeout, so suites that leave one get their own server.)
 */
export function timeSkippingServerForSuite(): { readonly temporal: TemporalHandle } {
  const holder: { temporal?: TemporalHandle } = {};
  before(async function () {
    holder.temporal = await startTimeSkippingServer();
  });
  after(async function () {
    await holder.temporal?.close().catch((err) => console.error('server teardown failed:', err));
  });
  return {
    get temporal(): TemporalHandle {
      assert.ok(holder.temporal, 'the suite has no server: used outside a test?');
      return holder.temporal;
    },
  };
}

/**
 * A `whileRunning` action: waits until the effect of `step` (a row under the run's key of `step`
 * in `table`) has landed, then cancels the run, so that the step in flight must be undone too.
 */
export function cancelOnceLanded(store: EffectStore, table: string, step: string): NonNullable<RunOptions['whileRunning']> {
  return async (handle) => {
    const key = runKeyOf(await runKeysOf(handle), step);
    await waitUntil(() => store.get(`SELECT key FROM ${table} WHERE key = ?`, [key]), {
      what: `the effect of ${step} to land in ${table}`,
    });
    await handle.cancel();
  };
}
