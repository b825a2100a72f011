/**
 * Recorded scenarios: named runs whose histories are kept under `test/histories/` and replayed by
 * `test/replay.test.ts`. `npm run record:histories` runs them all again on the time-skipping server.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { TemporalHandle } from '../platform/servers';
import { carePathway } from '../workflows';
import { signOffSignal } from '../workflows/care-pathway';
import { FAULT_PLAN_MEMO_KEY } from '../workflows/fault-plan';

export interface Scenario {
  /** File name under test/histories/ (without .json). */
  name: string;
  /** Starts the run; the caller runs a worker until the returned handle's result settles. */
  start(temporal: TemporalHandle, taskQueue: string, workflowId: string): Promise<WorkflowHandle>;
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
];
