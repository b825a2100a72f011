/**
 * The correctness verdict of a chaos run: a list of invariant checks, each returning whether it
 * holds and, when not, what broke. The harness always runs the built-in ones (every run terminal,
 * as its plan calls for; each run's effects as its type expects, for the types that check their
 * effects), plus the store-wide checks that the workflow types in the mix bring
 * (`ChaosWorkflowType.invariants`: a generic type brings `GENERIC_INVARIANTS`, the reference
 * application's finance types its `verifyStore`); callers add more through
 * `runChaos(options, { invariants })`.
 */
import type { EffectStore } from '../activity/store';
import { describeOutcome, type ChaosWorkflowType, type RunRecord } from './workflow-types';

/** What a check sees: the effect store and every run of the chaos run. */
export interface InvariantContext {
  /** The effect store the chaos run's workers used, open for reading. */
  store: EffectStore;
  /** Every run the harness started, as it saw it at the end (running ones included). */
  runs: readonly RunRecord[];
  /** The workflow types in the mix, by type name (`RunRecord.workflowType` looks one up). */
  types: Readonly<Record<string, ChaosWorkflowType>>;
}

/** The result of one check. */
export interface InvariantVerdict {
  /** The check's {@link InvariantCheck.name}. */
  name: string;
  /** True when nothing broke (`violations` is empty). */
  holds: boolean;
  /** How many things were checked (runs, rows, accounts). */
  checked: number;
  /** What broke, one line each (empty when the invariant holds). */
  violations: string[];
  /** Findings that break nothing but need an operator (e.g. a compensation that failed and was reported). */
  notes?: string[];
}

/** One invariant. `check` must not throw for a violation; it reports it. */
export interface InvariantCheck {
  /** A short name, printed in the report (e.g. `every run terminal`); unique among the checks of a run. */
  name: string;
  /** One line on what must hold, printed in the report. */
  description: string;
  /**
   * Checks the invariant once every run has ended (or the time limit passed). Return the verdict
   * with {@link verdict}. A check that throws counts as violated, with its error as the violation.
   */
  check(ctx: InvariantContext): Promise<Omit<InvariantVerdict, 'name'>>;
}

/**
 * A check's verdict from how many things it `checked` and what it found broken: it holds when
 * `violations` is empty.
 *
 * @example
 * const everyRunNamed: InvariantCheck = {
 *   name: 'every run named',
 *   description: 'every run has a workflow id',
 *   async check({ runs }) {
 *     return verdict(runs.length, runs.filter((r) => !r.workflowId).map((r) => `${r.workflowType}: no workflow id`));
 *   },
 * };
 */
export function verdict(checked: number, violations: string[]): Omit<InvariantVerdict, 'name'> {
  return { holds: violations.length === 0, checked, violations };
}

/** Every run reached a terminal state within the time limit. */
export const everyRunTerminal: InvariantCheck = {
  name: 'every run terminal',
  description: 'no run is still open when the harness stops (nothing lost, nothing stuck)',
  async check({ runs }) {
    return verdict(runs.length, runs.filter((r) => r.status === 'running').map((r) => `${r.workflowId}: still running`));
  },
};

/** Every run ended in the state its fault plan and input call for. */
export const everyOutcomeCorrect: InvariantCheck = {
  name: 'every outcome correct',
  description:
    'the terminal state its fault plan and input call for: completed, or failed with the planned type (a simulated permanent fault, a business rejection, SagaCompensationFailed)',
  async check({ runs }) {
    return verdict(
      runs.length,
      runs
        .filter((r) => r.status !== 'running' && !r.outcomeCorrect)
        .map((r) => `${r.workflowId}: ${r.status}${r.failureType ? ` (${r.failureType})` : ''}, expected ${describeOutcome(r.expected)}`),
    );
  },
};

/**
 * Each run's effects are exactly the expected ones, once each, each with its idempotency record:
 * for the runs whose type checks its effects (`ChaosWorkflowType.checkEffects`).
 */
export const effectsExactlyOnce: InvariantCheck = {
  name: 'effects exactly once',
  description: "each run's effects in the store: the expected ones, one per key, none duplicated",
  async check({ store, runs, types }) {
    const violations: string[] = [];
    let checked = 0;
    for (const run of runs) {
      const checkEffects = types[run.workflowType]?.checkEffects;
      if (!checkEffects) continue;
      checked++;
      violations.push(...(await checkEffects(store, run)));
    }
    return verdict(checked, violations);
  },
};

/** The checks every chaos run makes ({@link effectsExactlyOnce} only when a type in the mix checks its effects). */
export const BUILTIN_INVARIANTS: readonly InvariantCheck[] = [everyRunTerminal, everyOutcomeCorrect, effectsExactlyOnce];

/**
 * The invariants of a chaos run over `typeNames`: the built-in ones, then each store-wide check
 * the types bring (once, even when several types bring it), then `extra`. {@link effectsExactlyOnce}
 * is left out when no type in the mix checks its runs' effects: it would check nothing.
 */
export function defaultInvariants(
  types: Readonly<Record<string, ChaosWorkflowType>>,
  typeNames: readonly string[],
  extra: readonly InvariantCheck[] = [],
): InvariantCheck[] {
  const checksEffects = typeNames.some((t) => types[t]?.checkEffects);
  const out: InvariantCheck[] = BUILTIN_INVARIANTS.filter((c) => c !== effectsExactlyOnce || checksEffects);
  for (const check of [...typeNames.flatMap((t) => types[t]?.invariants ?? []), ...extra]) {
    if (!out.includes(check)) out.push(check);
  }
  return out;
}

/** Runs every check; a check that throws counts as violated, with its error as the violation. */
export async function checkInvariants(checks: readonly InvariantCheck[], ctx: InvariantContext): Promise<InvariantVerdict[]> {
  const out: InvariantVerdict[] = [];
  for (const c of checks) {
    try {
      out.push({ name: c.name, ...(await c.check(ctx)) });
    } catch (err) {
      out.push({ name: c.name, holds: false, checked: 0, violations: [`the check itself failed: ${(err as Error).message}`] });
    }
  }
  return out;
}
