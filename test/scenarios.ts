/**
 * Recorded scenarios: named runs whose histories are kept under `test/histories/` and replayed by
 * `test/replay.test.ts`. `npm run record:histories` runs them all again: most on the time-skipping
 * server with an in-process worker; crash scenarios (`crash` set) on a dev server with worker
 * processes, one of which is SIGKILLed at each armed crash point (workers/crash-points.ts).
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { plantDefects } from '../activities/production';
import type { EffectStore } from '../src/activity/store';
import type { TemporalHandle } from '../src/platform/servers';
import { sampleOrder, seedFinance } from '../activities/finance-seed';
import type { CrashPoint } from '../src/worker/crash-points';
import { workflowStartOptions } from '../src/common/failover';
import { signOffSignal, withdrawSignal, type CarePathwayInput } from '../workflows/care-pathway';
import { FAULT_PLAN_MEMO_KEY, type FaultPlan } from '../src/common/fault-plan';
import { OrderStep } from '../contracts/finance-steps';
import type { ProductionBatchInput } from '../workflows/production-batch';
import { carePathway, moneyTransfer, orderFulfillment, productionBatch } from '../workflows';
import { keyOf, keysLike, waitUntil } from './helpers';
import { productionLine } from './production-store';

export interface Scenario {
  /** File name under test/histories/ (without .json); a run that continued as new gives `<name>-run<n>.json`. */
  name: string;
  /** Starts the run; the caller runs a worker until the returned handle's result settles. */
  start(temporal: TemporalHandle, taskQueue: string, workflowId: string, store: EffectStore): Promise<WorkflowHandle>;
  /**
   * Acts on the run while the worker runs, before the result is awaited (e.g. cancels it). On the
   * time-skipping server time stands still until then, unless it lets time pass (`temporal.env.sleep`).
   */
  whileRunning?(handle: WorkflowHandle, store: EffectStore, temporal: TemporalHandle): Promise<void>;
  /**
   * Crash points to arm, in the order the run reaches them. The recorder runs this scenario on a
   * dev server with two worker processes, SIGKILLs the worker that holds at each point, and
   * starts a replacement; the run must still complete.
   */
  crash?: [CrashPoint, string][];
}

/** An order of 2 widgets and a gadget, paid by alice, with a fault plan. */
async function startOrder(temporal: TemporalHandle, taskQueue: string, workflowId: string, store: EffectStore, faults?: FaultPlan) {
  const f = await seedFinance(store, workflowId);
  return temporal.client.workflow.start(orderFulfillment, {
    taskQueue,
    workflowId,
    args: [sampleOrder(f, workflowId)],
    memo: faults ? { [FAULT_PLAN_MEMO_KEY]: faults } : undefined,
    ...workflowStartOptions(),
  });
}

/** A transfer of 123.45 from alice to `to` (default bob). */
async function startTransfer(temporal: TemporalHandle, taskQueue: string, workflowId: string, store: EffectStore, to?: string) {
  const f = await seedFinance(store, workflowId);
  return temporal.client.workflow.start(moneyTransfer, {
    taskQueue,
    workflowId,
    args: [{ transferId: workflowId, fromAccount: f.accounts.alice, toAccount: to ?? f.accounts.bob, amount: 12_345 }],
    ...workflowStartOptions(),
  });
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

/** A pathway on the path with escalations, withdrawal and reminders; signed off at the start when `signed`. */
function startEscalatingCare(temporal: TemporalHandle, taskQueue: string, workflowId: string, extra: Partial<CarePathwayInput>, signed: boolean) {
  const options = {
    taskQueue,
    workflowId,
    args: [{ patientId: 'patient-9', ward: 'neurology', followUpAfter: '21 days', signOffWithin: '2 days', escalateEvery: '1 day', ...extra }] as [
      CarePathwayInput,
    ],
    ...workflowStartOptions(),
  };
  return signed
    ? temporal.client.workflow.signalWithStart(carePathway, { ...options, signal: signOffSignal, signalArgs: [{ clinician: 'dr-okafor' }] })
    : temporal.client.workflow.start(carePathway, options);
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
        ...workflowStartOptions(),
      }),
  },
  {
    // The sign-off step, and the fault attributes that the interceptor upserts after a retry.
    name: 'care-pathway-sign-off',
    start: (temporal, taskQueue, workflowId) =>
      temporal.client.workflow.signalWithStart(carePathway, {
        taskQueue,
        workflowId,
        args: [{ patientId: 'patient-8', ward: 'cardiology', followUpAfter: '7 days', signOffWithin: '2 days' }],
        signal: signOffSignal,
        signalArgs: [{ clinician: 'dr-okafor' }],
        memo: { [FAULT_PLAN_MEMO_KEY]: { scheduleFollowUp: { kind: 'transient', times: 1 } } },
        ...workflowStartOptions(),
      }),
  },
  {
    name: 'order-success',
    start: (temporal, taskQueue, workflowId, store) =>
      startOrder(temporal, taskQueue, workflowId, store, { chargePayment: { kind: 'lost-ack', times: 1 } }),
  },
  {
    name: 'order-compensated',
    start: (temporal, taskQueue, workflowId, store) =>
      startOrder(temporal, taskQueue, workflowId, store, { createShipment: { kind: 'permanent' } }),
  },
  {
    name: 'transfer-success',
    start: (temporal, taskQueue, workflowId, store) => startTransfer(temporal, taskQueue, workflowId, store),
  },
  {
    name: 'transfer-reversed',
    start: (temporal, taskQueue, workflowId, store) => startTransfer(temporal, taskQueue, workflowId, store, 'acct-nobody'),
  },
  {
    // Last of the finance scenarios: its cancelled, still hanging attempt holds the time-skipping clock until it times out.
    name: 'order-cancelled',
    start: (temporal, taskQueue, workflowId, store) =>
      startOrder(temporal, taskQueue, workflowId, store, { createShipment: { kind: 'hang-after-effect', times: 1 } }),
    async whileRunning(handle, store) {
      await waitUntil(() => store.get('SELECT id FROM shipments WHERE key LIKE ?', [keysLike(handle.workflowId, OrderStep.createShipment)]), {
        what: 'the shipment to land',
      });
      await handle.cancel();
    },
  },
  {
    // carePathway has no compensation, so it has no "compensated" scenario.
    name: 'care-pathway-cancelled',
    start: (temporal, taskQueue, workflowId) => startCare(temporal, taskQueue, workflowId, '14 days'),
    whileRunning: async (handle) => {
      await untilTimerStarted(handle);
      await handle.cancel();
    },
  },
  {
    // Signed off late: one page of the on-call clinician, then the sign-off, the booking and two weekly reminders.
    name: 'care-pathway-escalated',
    start: (temporal, taskQueue, workflowId) => startEscalatingCare(temporal, taskQueue, workflowId, { remindEvery: '7 days' }, false),
    whileRunning: async (handle, store, temporal) => {
      await untilTimerStarted(handle);
      await temporal.env!.sleep('49 hours');
      await waitUntil(async () => store.get('SELECT key FROM care_events WHERE key = ?', [await keyOf(handle, 'page-on-call/1')]), {
        what: 'the first page',
      });
      await handle.signal(signOffSignal, { clinician: 'dr-late' });
    },
  },
  {
    // Never signed off: two pages, then SignOffOverdue and the admission cancelled by the saga.
    name: 'care-pathway-overdue',
    start: (temporal, taskQueue, workflowId) => startEscalatingCare(temporal, taskQueue, workflowId, {}, false),
  },
  {
    // Withdrawn while the follow-up waits: the follow-up, then the admission, cancelled.
    name: 'care-pathway-withdrawn',
    start: (temporal, taskQueue, workflowId) => startEscalatingCare(temporal, taskQueue, workflowId, { remindEvery: '7 days' }, true),
    whileRunning: async (handle) => {
      await untilTimerStarted(handle);
      await handle.signal(withdrawSignal, { by: 'patient', reason: 'treated elsewhere' });
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
    whileRunning: async (handle) => {
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
