/**
 * The healthcare scenarios of the demo: a pathway through a flaky admissions system, and one whose
 * sign-off comes late, after the on-call clinician was paged. Workflow ids are opaque: the patient
 * id travels only in the input, never in an id, a search attribute or a memo.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { EffectStore } from 'steadfast/activity';
import type { TemporalHandle } from 'steadfast/testing';
import { workflowStartOptions, FAULT_PLAN_MEMO_KEY, runKeyOf, runKeyPrefix, runKeysOf, type FaultPlan } from 'steadfast/client';
import { carePathway } from '../workflows';
import { signOffSignal, type CarePathwayInput } from '../workflows/care-pathway';
import type { DemoScenario } from './demo';

/** An opaque workflow id for a care pathway: nothing in it identifies the patient. */
export function carePathwayId(): string {
  return `care-pathway-${randomUUID()}`;
}

function startCare(temporal: TemporalHandle, taskQueue: string, input: CarePathwayInput, faults?: FaultPlan): Promise<WorkflowHandle> {
  return temporal.client.workflow.start(carePathway, {
    taskQueue,
    workflowId: carePathwayId(),
    args: [input],
    ...(faults ? { memo: { [FAULT_PLAN_MEMO_KEY]: faults } } : {}),
    ...workflowStartOptions(),
  });
}

/** What the care systems hold for the run: its events, and which were cancelled. */
async function careState(store: EffectStore, _runTag: string, handle: WorkflowHandle): Promise<string> {
  const prefix = runKeyPrefix(await runKeysOf(handle));
  const rows = await store.all<{ key: string; kind: string; cancelled: string | null }>(
    `SELECT e.key, e.kind, c.key AS cancelled FROM care_events e LEFT JOIN care_cancellations c ON c.key = e.key
     WHERE e.key LIKE ? ORDER BY e.created_at, e.key`,
    [`${prefix}%`],
  );
  return `care systems: ${rows.map((r) => `${r.key.slice(prefix.length)}${r.cancelled ? ' (cancelled)' : ''}`).join(', ')}`;
}

/** Care scenarios for `client/demo.ts`. */
export const careScenarios: DemoScenario[] = [
  {
    title: 'Care pathway: a flaky admissions system (2 transient faults), then the follow-up booked, a reminder, the appointment',
    start: (temporal, taskQueue) =>
      startCare(temporal, taskQueue, { patientId: 'patient-1001', ward: 'cardiology', followUpAfter: '3 seconds', remindEvery: '2 seconds' }, {
        admitPatient: { kind: 'transient', times: 2 },
      }),
    after: careState,
  },
  {
    title: 'Care pathway escalated: no sign-off within 2 s → the on-call clinician is paged → signed off late → follow-up',
    start: (temporal, taskQueue) =>
      startCare(temporal, taskQueue, {
        patientId: 'patient-1002',
        ward: 'oncology',
        followUpAfter: '2 seconds',
        signOffWithin: '2 seconds',
        escalateEvery: '10 seconds',
      }),
    async whileRunning(handle, store) {
      const page = runKeyOf(await runKeysOf(handle), 'page-on-call/1');
      for (let i = 0; i < 300 && !(await store.get('SELECT key FROM care_events WHERE key = ?', [page])); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      console.log('  the on-call clinician was paged: signing the patient off');
      await handle.signal(signOffSignal, { clinician: 'dr-on-call' });
    },
    async after(store, runTag, handle) {
      const line = await careState(store, runTag, handle);
      if (!(await store.get('SELECT key FROM care_events WHERE key = ?', [runKeyOf(await runKeysOf(handle), 'page-on-call/1')]))) {
        throw new Error(`the on-call clinician was never paged; ${line}`);
      }
      return line;
    },
  },
];
