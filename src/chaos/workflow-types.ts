/**
 * What the chaos harness needs to know about each workflow type it can run: the activities that
 * may get faults, how to draw a run (its input and the simulated world it meets), what the store
 * must hold before it starts, what outcome a fault plan must lead to, and how to check the run's
 * effects in the store.
 *
 * A project gets one for each of its `workflowTypes` without writing anything more: the generic type
 * built from the type's spec (`genericChaosType`: its example input, its activities, generic
 * invariants over the effect store). A type with stronger, scenario-specific checks (money
 * conserved, stock accounted for) is listed in `chaos.types` of `steadfast.config.ts`, which wins
 * over the generic type of the same name.
 */
import type { EffectStore } from '../activity/store';
import { loadProject } from '../config/load';
import { genericChaosType } from './generic-type';
import type { InvariantCheck } from './invariants';
import type { ChaosFaultPlan, Rng } from './plan';

/**
 * The terminal state a run must reach: completed; failed with a given failure type; or, when the
 * type cannot tell in advance (a generic type does not know which activities a run reaches),
 * either completed or failed with one of `failureTypes`.
 */
export type ExpectedOutcome =
  | { status: 'completed' }
  | { status: 'failed'; failureType: string }
  | { status: 'completed-or-failed'; failureTypes: readonly string[] };

/** True when a run that ended with `status` (lower-case) and `failureType` ended as `expected` says. */
export function outcomeMatches(expected: ExpectedOutcome, status: string, failureType: string | undefined): boolean {
  if (status === 'completed') return expected.status !== 'failed';
  if (status !== 'failed' || failureType === undefined) return false;
  if (expected.status === 'failed') return failureType === expected.failureType;
  return expected.status === 'completed-or-failed' && expected.failureTypes.includes(failureType);
}

/** An expected outcome in words: `completed`, `failed (SimulatedPermanentFault)`, `completed or failed (A, B)`. */
export function describeOutcome(expected: ExpectedOutcome): string {
  if (expected.status === 'failed') return `failed (${expected.failureType})`;
  if (expected.status === 'completed-or-failed') return `completed or failed (${expected.failureTypes.join(', ')})`;
  return 'completed';
}

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
  /**
   * Problems with this run's effects in the store (empty when they are exactly as expected). A
   * type that cannot know its runs' effects (a generic type) leaves it out and brings store-wide
   * {@link invariants} instead.
   */
  checkEffects?(store: EffectStore, run: RunRecord): Promise<string[]>;
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

/**
 * The workflow types the project can put under chaos, by name: a generic type for each of its
 * `workflowTypes`, replaced by the type of the same name in `chaos.types` where it declares one.
 * @throws ChaosUsageError when a workflow type's example does not match its input schema
 */
export function projectChaosTypes(): Record<string, ChaosWorkflowType> {
  const project = loadProject();
  const declared = (project.chaos?.types ?? []) as ChaosWorkflowType[];
  const names = new Set(declared.map((t) => t.name));
  const generic = (project.workflowTypes ?? []).filter((spec) => !names.has(spec.workflow.name)).map(genericChaosType);
  return Object.fromEntries([...generic, ...declared].map((t) => [t.name, t]));
}
