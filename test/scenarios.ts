/**
 * Recorded scenarios: named runs whose histories are kept under `test/histories/` and replayed by
 * `test/replay.test.ts`. `npm run record:histories` runs them all again: most on the time-skipping
 * server with an in-process worker; crash scenarios (`crash` set) on a dev server with worker
 * processes, one of which is SIGKILLed at each armed crash point (workers/crash-points.ts).
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { plantDefects } from '../activities/production';
import type { EffectStore } from '../activities/store';
import type { TemporalHandle } from '../platform/servers';
import type { CrashPoint } from '../workers/crash-points';
import { workflowStartOptions } from '../workers/settings';
import { carePathway, productionBatch } from '../workflows';
import { FAULT_PLAN_MEMO_KEY } from '../workflows/fault-plan';
import type { ProductionBatchInput } from '../workflows/production-batch';
import { waitUntil } from './helpers';
import { productionLine } from './production-store';

export interface Scenario {
  /** File name under test/histories/ (without .json); a run that continued as new gives `<name>-run<n>.json`. */
  name: string;
  /** Starts the run; the caller runs a worker until the returned handle's result settles. */
  start(temporal: TemporalHandle, taskQueue: string, workflowId: string, store: EffectStore): Promise<WorkflowHandle>;
  /** Acts on the run while it goes (e.g. cancels it); the caller then waits for the result. */
  drive?(handle: WorkflowHandle, temporal: TemporalHandle): Promise<void>;
  /**
   * Crash points to arm, in the order the run reaches them. The recorder runs this scenario on a
   * dev server with two worker processes, SIGKILLs the worker that holds at each point, and
   * starts a replacement; the run must still complete.
   */
  crash?: [CrashPoint, string][];
}

/** Waits until the run has an activity of `activityType` running. */
async function untilRunning(handle: WorkflowHandle, activityType: string): Promise<void> {
  await waitUntil(
    async () =>
      (await handle.describe()).raw.pendingActivities?.some(
        (a) => a.activityType?.name === activityType && a.lastStartedTime != null,
      ),
    { what: `${activityType} running` },
  );
}

/** Waits until the run has started a timer. */
async function untilTimerStarted(handle: WorkflowHandle): Promise<void> {
  await waitUntil(async () => (await handle.fetchHistory()).events?.some((e) => e.timerStartedEventAttributes), {
    what: 'the timer started',
  });
}

function startCare(temporal: TemporalHandle, taskQueue: string, workflowId: string, followUpAfter: Duration, memo?: object) {
  return temporal.client.workflow.start(carePathway, {
    taskQueue,
    workflowId,
    args: [{ patientId: 'patient-7', ward: 'orthopaedics', followUpAfter }],
    ...workflowStartOptions(),
    ...(memo ? { memo: memo as Record<string, unknown> } : {}),
  });
}

function startProduction(temporal: TemporalHandle, taskQueue: string, workflowId: string, input: ProductionBatchInput, memo?: object) {
  return temporal.client.workflow.start(productionBatch, {
    taskQueue,
    workflowId,
    args: [input],
    ...workflowStartOptions(),
    ...(memo ? { memo: memo as Record<string, unknown> } : {}),
  });
}

export const scenarios: Scenario[] = [
  {
    name: 'care-pathway-success',
    start: (temporal, taskQueue, workflowId) =>
      temporal.client.workflow.start(carePathway, {
        taskQueue,
        workflowId,
        args: [{ patientId: 'patient-7', ward: 'orthopaedics', followUpAfter: '14 days' }],
        memo: { [FAULT_PLAN_MEMO_KEY]: { admitPatient: { kind: 'transient', times: 2 } } },
      }),
  },
  {
    // carePathway has no compensation, so it has no "compensated" scenario.
    name: 'care-pathway-cancelled',
    start: (temporal, taskQueue, workflowId) => startCare(temporal, taskQueue, workflowId, '14 days'),
    drive: async (handle) => {
      await untilTimerStarted(handle);
      await handle.cancel();
    },
  },
  {
    name: 'care-pathway-crashed',
    start: (temporal, taskQueue, workflowId) => startCare(temporal, taskQueue, workflowId, '1 second'),
    // Killed holding the workflow task that follows the timer: the task times out and another worker redoes it.
    crash: [['workflow-task', 'scheduleFollowUp']],
  },
  {
    name: 'production-batch-success',
    // Three batches, two per run (so it continues as new once), batch 2 fails its first quality check.
    start: async (temporal, taskQueue, workflowId, store) => {
      const lineId = `${workflowId}-line`;
      await plantDefects(store, { lineId, batch: 2, units: 3 });
      return startProduction(temporal, taskQueue, workflowId, productionLine(lineId, { batches: 3, batchesPerRun: 2 }));
    },
  },
  {
    name: 'production-batch-compensated',
    start: (temporal, taskQueue, workflowId) =>
      startProduction(temporal, taskQueue, workflowId, productionLine(`${workflowId}-line`), {
        [FAULT_PLAN_MEMO_KEY]: { runStage: { kind: 'permanent' } },
      }),
  },
  {
    name: 'production-batch-cancelled',
    start: (temporal, taskQueue, workflowId) =>
      startProduction(temporal, taskQueue, workflowId, productionLine(`${workflowId}-line`, { unitsPerBatch: 100, unitMs: 50 })),
    drive: async (handle) => {
      await untilRunning(handle, 'runStage');
      await handle.cancel();
    },
  },
  {
    name: 'production-batch-crashed',
    start: (temporal, taskQueue, workflowId) =>
      startProduction(temporal, taskQueue, workflowId, productionLine(`${workflowId}-line`, { unitsPerBatch: 20 })),
    // First a worker dies holding the workflow task that schedules the first stage; then the worker
    // that took over dies as that stage starts, and the stage is retried after its heartbeat timeout.
    crash: [
      ['workflow-task', 'runStage'],
      ['activity-start', 'runStage'],
    ],
  },
];
