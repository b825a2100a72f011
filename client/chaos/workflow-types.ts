/**
 * What the chaos harness needs to know about each workflow type it can run: the activities that
 * may get faults, how to draw a run (its input and the simulated world it meets), what the store
 * must hold before it starts, what outcome a fault plan must lead to, and how to check the run's
 * effects in the store. Add an entry here to put a new workflow type under chaos.
 *
 * The four contract types are registered: `carePathway` (below), `orderFulfillment` and
 * `moneyTransfer` (`finance-types.ts`), `productionBatch` (`production-type.ts`).
 */
import { runKeyPrefix, stepOfRunKey } from '../../activities/verify';
import type { EffectStore } from '../../activities/store';
import { SimulatedFaultType } from '../../activities/fault-injection';
import type { CarePathwayResult } from '../../workflows/care-pathway';
import { orderFulfillmentChaos, moneyTransferChaos } from './finance-types';
import type { InvariantCheck } from './invariants';
import type { ChaosFaultPlan, Rng } from './plan';
import { productionBatchChaos } from './production-type';

/** The terminal state a run must reach: completed, or failed with a given failure type. */
export type ExpectedOutcome = { status: 'completed' } | { status: 'failed'; failureType: string };

/**
 * One run as drawn from the seed: the workflow's arguments and, when the run is set up to meet
 * something besides its fault plan (a frozen account, missing stock, planted defects), a small
 * JSON description of it that the type's own `seed`, `expected` and `checkEffects` read back.
 */
export interface ChaosRunDraw {
  args: unknown[];
  world?: Record<string, unknown>;
}

/** A run as the harness saw it to its end. */
export interface RunRecord extends ChaosRunDraw {
  workflowId: string;
  /** The run chain its keys belong to (see `runKeyOf`, activities/verify.ts). */
  namespace?: string;
  firstExecutionRunId?: string;
  workflowType: string;
  plan: ChaosFaultPlan;
  expected: ExpectedOutcome;
  /** The server's final status, lower-case (`completed`, `failed`, `timed_out`, …), or `running`. */
  status: string;
  /** The failure type of a failed run (its ApplicationFailure type, looked up through wrappers). */
  failureType?: string;
  /** For a run failed with `SagaCompensationFailed`: the activity types of the compensations that failed. */
  failedCompensations?: string[];
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
  /** One run's arguments (and world), drawn from `rng`; called in a fixed order, so the seed fixes them. */
  draw(ctx: { workflowId: string; index: number; rng: Rng }): ChaosRunDraw;
  /** Puts what the run needs into the store (accounts, stock, defects); called before any run starts. */
  seed?(store: EffectStore, run: ChaosRunDraw & { workflowId: string }): Promise<void>;
  /** The terminal state that `plan` must lead to for this run. */
  expected(plan: ChaosFaultPlan, run: ChaosRunDraw): ExpectedOutcome;
  /** Problems with this run's effects in the store (empty when they are exactly as expected). */
  checkEffects(store: EffectStore, run: RunRecord): Promise<string[]>;
  /**
   * Store-wide checks that runs of this type need (the finance types: `storeVerified`). The
   * harness adds each one once to the default invariants when a run of the type is in the mix.
   */
  invariants?: readonly InvariantCheck[];
}

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

/** Every workflow type the harness can run, by name. */
export const CHAOS_WORKFLOW_TYPES: Record<string, ChaosWorkflowType> = Object.fromEntries(
  [orderFulfillmentChaos, moneyTransferChaos, productionBatchChaos, carePathwayChaos].map((t) => [t.name, t]),
);

/** What a chaos run runs when no types are given: every type in the registry, round-robin. */
export const DEFAULT_CHAOS_TYPES: readonly string[] = ['orderFulfillment', 'moneyTransfer', 'productionBatch', 'carePathway'];
