/**
 * What the chaos harness needs to know about each workflow type it can run: the activities that
 * may get faults, how to draw a run (its input and the simulated world it meets), what the store
 * must hold before it starts, what outcome a fault plan must lead to, and how to check the run's
 * effects in the store. A project puts a type under chaos by listing it in `chaos.types` of its
 * `steadfast.config.ts`.
 */
import type { EffectStore } from '../activity/store';
import { loadProject } from '../config/load';
import type { InvariantCheck } from './invariants';
import type { ChaosFaultPlan, Rng } from './plan';

/** The terminal state a run must reach: completed, or failed with a given failure type. */
export type ExpectedOutcome = { status: 'completed' } | { status: 'failed'; failureType: string };

/**
 * One run as drawn from the seed: the workflow's arguments and, when the run is set up to meet
 * something besides its fault plan (a frozen account, missing stock, planted defects), a small
 * JSON description of it that the type's own `seed`, `expected` and `checkEffects` read back.
 */
export interface ChaosRunDraw {
  /** The workflow's arguments, as the harness passes them to `workflow.start` (JSON-serialisable). */
  args: unknown[];
  /** What the run meets besides its fault plan, for the type's own `seed`, `expected` and `checkEffects`. */
  world?: Record<string, unknown>;
}

/** A run as the harness saw it to its end. */
export interface RunRecord extends ChaosRunDraw {
  /** The run's workflow id. */
  workflowId: string;
  /** The run chain its keys belong to (see `runKeyOf`). */
  namespace?: string;
  /** The run id of the chain's first run (`workflowInfo().firstExecutionRunId`): with `namespace`, what its keys are made of. */
  firstExecutionRunId?: string;
  /** The workflow type name (a {@link ChaosWorkflowType.name}). */
  workflowType: string;
  /** The fault plan the run was started with (activity type name → fault). */
  plan: ChaosFaultPlan;
  /** The terminal state that the type's `expected` said the plan must lead to. */
  expected: ExpectedOutcome;
  /** The server's final status, lower-case (`completed`, `failed`, `timed_out`, …), or `running`. */
  status: string;
  /** The failure type of a failed run (its ApplicationFailure type, looked up through wrappers). */
  failureType?: string;
  /** For a run failed with `SagaCompensationFailed`: the activity types of the compensations that failed. */
  failedCompensations?: string[];
  /** A completed run's result; undefined for any other status. */
  result?: unknown;
  /** When the run (the chain's first run) started: epoch milliseconds. */
  startedAt?: number;
  /** When the run closed: epoch milliseconds; undefined while it runs. */
  closedAt?: number;
  /** True when the run reached its expected terminal state. */
  outcomeCorrect: boolean;
  /**
   * Every run of the workflow's chain, first to last, and how its history ends: all but the last
   * `continued_as_new` for a run that continued as new.
   */
  runs?: Array<{ runId: string; status: string }>;
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
  /**
   * Failure types that are business answers, not faults (a frozen card, missing stock): a run set
   * up for them ends as it should, so the harness does not count them as faults.
   */
  businessRejections?: readonly string[];
}

/** The workflow types the project puts under chaos (`chaos.types` in its `steadfast.config.ts`), by name. */
export function projectChaosTypes(): Record<string, ChaosWorkflowType> {
  const types = (loadProject().chaos?.types ?? []) as ChaosWorkflowType[];
  return Object.fromEntries(types.map((t) => [t.name, t]));
}
