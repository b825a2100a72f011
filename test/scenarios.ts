/**
 * Recorded scenarios: named runs whose histories are kept under `test/histories/` and replayed by
 * `test/replay.test.ts`. `npm run record:histories` runs them all again on the time-skipping server.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { TemporalHandle } from '../platform/servers';
import { sampleOrder, seedFinance } from '../activities/finance-seed';
import type { EffectStore } from '../activities/store';
import { carePathway, moneyTransfer, orderFulfillment } from '../workflows';
import { signOffSignal } from '../workflows/care-pathway';
import { FAULT_PLAN_MEMO_KEY, type FaultPlan } from '../workflows/fault-plan';
import { OrderStep } from '../workflows/finance-steps';
import { waitUntil } from './helpers';

export interface Scenario {
  /** File name under test/histories/ (without .json). */
  name: string;
  /** Starts the run; the caller runs a worker until the returned handle's result settles. */
  start(temporal: TemporalHandle, taskQueue: string, workflowId: string, store: EffectStore): Promise<WorkflowHandle>;
  /** Acts on the run while the worker runs, before the result is awaited (e.g. cancels it). */
  whileRunning?(handle: WorkflowHandle, store: EffectStore): Promise<void>;
}

/** An order of 2 widgets and a gadget, paid by alice, with a fault plan. */
async function startOrder(temporal: TemporalHandle, taskQueue: string, workflowId: string, store: EffectStore, faults?: FaultPlan) {
  const f = await seedFinance(store, workflowId);
  return temporal.client.workflow.start(orderFulfillment, {
    taskQueue,
    workflowId,
    args: [sampleOrder(f, workflowId)],
    memo: faults ? { [FAULT_PLAN_MEMO_KEY]: faults } : undefined,
  });
}

/** A transfer of 123.45 from alice to `to` (default bob). */
async function startTransfer(temporal: TemporalHandle, taskQueue: string, workflowId: string, store: EffectStore, to?: string) {
  const f = await seedFinance(store, workflowId);
  return temporal.client.workflow.start(moneyTransfer, {
    taskQueue,
    workflowId,
    args: [{ transferId: workflowId, fromAccount: f.accounts.alice, toAccount: to ?? f.accounts.bob, amount: 12_345 }],
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
      await waitUntil(() => store.get('SELECT id FROM shipments WHERE key = ?', [`${handle.workflowId}/${OrderStep.createShipment}`]), {
        what: 'the shipment to land',
      });
      await handle.cancel();
    },
  },
];
