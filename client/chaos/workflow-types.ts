/**
 * What the chaos harness needs to know about each workflow type it can run: the activities that
 * may get faults, how to make an input, what outcome a fault plan must lead to, and how to check
 * the run's effects in the store. Add an entry here to put a new workflow type under chaos.
 */
import type { EffectStore } from '../../activities/store';
import type { CarePathwayResult } from '../../workflows/care-pathway';
import type { ChaosFaultPlan, Rng } from './plan';

/** The terminal state a run must reach: completed, or failed with a given failure type. */
export type ExpectedOutcome = { status: 'completed' } | { status: 'failed'; failureType: string };

/** A run as the harness saw it to its end. */
export interface RunRecord {
  workflowId: string;
  workflowType: string;
  plan: ChaosFaultPlan;
  expected: ExpectedOutcome;
  /** The server's final status, lower-case (`completed`, `failed`, `timed_out`, …), or `running`. */
  status: string;
  /** The failure type of a failed run (its ApplicationFailure type, looked up through wrappers). */
  failureType?: string;
  result?: unknown;
  startedAt?: number;
  closedAt?: number;
  /** True when the run reached its expected terminal state. */
  outcomeCorrect: boolean;
}

/** One workflow type under chaos. */
export interface ChaosWorkflowType {
  /** The workflow type name (a contract: see docs/ARCHITECTURE.md). */
  name: string;
  /** Activities that the fault plan may target. */
  faultableActivities: readonly string[];
  /** The workflow's arguments for one run. */
  args(ctx: { workflowId: string; index: number; rng: Rng }): unknown[];
  /** The terminal state that `plan` must lead to. */
  expected(plan: ChaosFaultPlan): ExpectedOutcome;
  /** Problems with this run's effects in the store (empty when they are exactly as expected). */
  checkEffects(store: EffectStore, run: RunRecord): Promise<string[]>;
}

const SIMULATED_PERMANENT = 'SimulatedPermanentFault';

/** `carePathway`: admission, a durable timer, the follow-up booking. */
export const carePathwayChaos: ChaosWorkflowType = {
  name: 'carePathway',
  faultableActivities: ['admitPatient', 'scheduleFollowUp'],
  args: ({ workflowId, rng }) => [
    {
      patientId: `patient-${workflowId}`,
      ward: rng.pick(['cardiology', 'oncology', 'orthopaedics', 'neurology']),
      // Short timers keep the run quick; the durable timer is still part of every run.
      followUpAfter: `${rng.int(1, 3)} seconds`,
    },
  ],
  expected: (plan) =>
    Object.values(plan).some((f) => f.kind === 'permanent')
      ? { status: 'failed', failureType: SIMULATED_PERMANENT }
      : { status: 'completed' },
  async checkEffects(store, run) {
    const problems: string[] = [];
    const rows = await store.all<{ key: string; kind: string; ref: string; patient_id: string }>(
      'SELECT key, kind, ref, patient_id FROM care_events WHERE key LIKE ? ORDER BY key',
      [`${run.workflowId}/%`],
    );
    // Which effects must exist: both when the run completed; when it failed permanently, only
    // the admission, and only if the permanent fault was on the follow-up.
    const expectedKeys =
      run.expected.status === 'completed'
        ? ['admit', 'follow-up']
        : run.plan.admitPatient?.kind === 'permanent'
          ? []
          : ['admit'];
    const keys = rows.map((r) => r.key.slice(run.workflowId.length + 1)).sort();
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

/** Every workflow type the harness can run, by name. */
export const CHAOS_WORKFLOW_TYPES: Record<string, ChaosWorkflowType> = {
  [carePathwayChaos.name]: carePathwayChaos,
};
