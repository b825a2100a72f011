/**
 * `carePathway` under chaos: admission, a durable timer, the follow-up booking.
 */
import { runKeyPrefix, SimulatedFaultType, stepOfRunKey } from 'steadfast/activity';
import type { ChaosWorkflowType } from 'steadfast/testing';
import type { CarePathwayResult } from '../workflows/care-pathway';

/** `carePathway`: admission, a durable timer, the follow-up booking. */
export const carePathwayChaos: ChaosWorkflowType = {
  name: 'carePathway',
  faultableActivities: ['admitPatient', 'scheduleFollowUp'],
  draw: ({ workflowId, rng }) => ({
    args: [
      {
        patientId: `patient-${workflowId}`,
        ward: rng.pick(['cardiology', 'oncology', 'orthopaedics', 'neurology']),
        // Short timers keep the run quick; the durable timer is still part of every run.
        followUpAfter: `${rng.int(1, 3)} seconds`,
      },
    ],
  }),
  expected: (plan) =>
    Object.values(plan).some((f) => f.kind === 'permanent')
      ? { status: 'failed', failureType: SimulatedFaultType.permanent }
      : { status: 'completed' },
  async checkEffects(store, run) {
    const problems: string[] = [];
    const rows = await store.all<{ key: string; kind: string; ref: string; patient_id: string }>(
      'SELECT key, kind, ref, patient_id FROM care_events WHERE key LIKE ? ORDER BY key',
      [`${runKeyPrefix(run)}%`],
    );
    // Which effects must exist: both when the run completed; when it failed permanently, only
    // the admission, and only if the permanent fault was on the follow-up.
    const expectedKeys =
      run.expected.status === 'completed'
        ? ['admit', 'follow-up']
        : run.plan.admitPatient?.kind === 'permanent'
          ? []
          : ['admit'];
    const keys = rows.map((r) => stepOfRunKey(run, r.key)).sort();
    if (JSON.stringify(keys) !== JSON.stringify([...expectedKeys].sort())) {
      problems.push(`${run.workflowId}: effects [${keys.join(', ')}], expected [${expectedKeys.join(', ')}]`);
    }
    const perKind = new Map<string, number>();
    for (const r of rows) perKind.set(r.kind, (perKind.get(r.kind) ?? 0) + 1);
    for (const [kind, n] of perKind) if (n > 1) problems.push(`${run.workflowId}: ${n} ${kind} effects, expected one`);
    for (const r of rows) {
      const recorded = await store.get('SELECT key FROM steadfast_idempotency WHERE key = ?', [r.key]);
      if (!recorded) problems.push(`${run.workflowId}: effect ${r.key} has no idempotency record`);
    }
    if (run.status === 'completed') {
      const result = run.result as CarePathwayResult | undefined;
      const refs = Object.fromEntries(rows.map((r) => [r.kind, r.ref]));
      if (result?.admissionId !== refs.admission || result?.appointmentId !== refs['follow-up']) {
        problems.push(`${run.workflowId}: the result's ids do not match the stored effects`);
      }
    }
    return problems;
  },
};
