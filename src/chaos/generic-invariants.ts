/**
 * Invariants that hold for any workflow over Steadfast's effect store, read from the store's own
 * tables only (`steadfast_idempotency`: one row per applied key, with the run that applied it;
 * `steadfast_compensations`: one tombstone per compensated step key):
 *
 * - **effects at most once**: each of a run's keys is recorded once, by that run;
 * - **compensated runs undone**: a run that compensated left a tombstone on every key it applied,
 *   none of its steps landed after its undo or survived an undo that found nothing, and a run that
 *   completed had none of its steps undone.
 *
 * They check the runs of the types that bring them (a generic type does), so a scenario type with
 * its own semantics (steps without a compensation, effects that outlive a failure) is not held to
 * them.
 */
import { requestHash, type EffectStore } from '../activity/store';
import { SAGA_COMPENSATION_FAILED } from '../common/failure-types';
import { runKeyPrefix } from '../common/idempotency-key';
import { verdict, type InvariantCheck, type InvariantContext } from './invariants';
import type { RunRecord } from './workflow-types';

/** A row of `steadfast_idempotency`, as the checks read it. */
interface KeyRow {
  key: string;
  request_hash: string;
  created_at: string;
  workflow_id: string | null;
  run_id: string | null;
}

/** A row of `steadfast_compensations`: the tombstone a compensation leaves on the step key it undid. */
interface TombstoneRow {
  key: string;
  compensation_key: string;
  outcome: string;
  created_at: string;
}

/** A run's effects in the store. */
export interface RunEffects {
  /** Every key the run applied (its run-scoped keys, and the keys recorded for one of its runs). */
  keys: KeyRow[];
  /** The keys of its steps: every key but its compensations'. */
  forward: KeyRow[];
  /** The keys of the compensations it ran. */
  compensations: KeyRow[];
  /** Tombstones on its keys, by the step key they are on. */
  tombstones: Map<string, TombstoneRow>;
}

/**
 * Reads a run's keys and their tombstones. A key belongs to the run when it has the run's prefix
 * (`runKeyPrefix`) or was recorded for one of the runs of its chain. A compensation key is one a
 * tombstone names (`compensation_key`), or one whose request is `{ compensates: <a step key> }`
 * (`compensateEffect`'s request; a second compensation of a step keeps the first's tombstone, and
 * a lost tombstone must not turn its compensation into a step).
 */
export async function effectsOfRun(store: EffectStore, run: RunRecord): Promise<RunEffects> {
  const prefix = runKeyPrefix(run);
  const chain = new Set((run.runs ?? []).map((r) => r.runId));
  const ownRun = (r: KeyRow) => r.workflow_id === run.workflowId && (chain.size === 0 || (r.run_id !== null && chain.has(r.run_id)));
  // LIKE narrows the scan; the prefix is then matched exactly (`_` and `%` are wildcards to LIKE).
  const rows = await store.all<KeyRow>(
    'SELECT key, request_hash, created_at, workflow_id, run_id FROM steadfast_idempotency WHERE workflow_id = ? OR key LIKE ?',
    [run.workflowId, `${prefix}%`],
  );
  const keys = rows.filter((r) => r.key.startsWith(prefix) || ownRun(r));
  const tombstones = new Map<string, TombstoneRow>();
  for (const { key } of keys) {
    const found = await store.all<TombstoneRow>(
      'SELECT key, compensation_key, outcome, created_at FROM steadfast_compensations WHERE key = ? OR compensation_key = ?',
      [key, key],
    );
    for (const t of found) tombstones.set(t.key, t);
  }
  const byCompensation = new Set([...tombstones.values()].map((t) => t.compensation_key));
  // The steps a compensation may name: the run's own keys, and the keys that tombstones are on.
  const compensating = new Set([...keys.map((r) => r.key), ...tombstones.keys()].map((stepKey) => requestHash({ compensates: stepKey })));
  const isCompensation = (r: KeyRow) => byCompensation.has(r.key) || compensating.has(r.request_hash);
  return {
    keys,
    forward: keys.filter((r) => !isCompensation(r)),
    compensations: keys.filter(isCompensation),
    tombstones,
  };
}

/** The runs whose type brings `check`. */
function runsChecked(check: InvariantCheck, { runs, types }: InvariantContext): readonly RunRecord[] {
  return runs.filter((r) => types[r.workflowType]?.invariants?.includes(check));
}

/** Each run's keys recorded once, and by that run (not by another run reusing its keys). */
export const effectsAtMostOnce: InvariantCheck = {
  name: 'effects at most once',
  description: "each run's idempotency keys (steadfast_idempotency) recorded once each, by that run",
  async check(ctx) {
    const violations: string[] = [];
    let checked = 0;
    for (const run of runsChecked(effectsAtMostOnce, ctx)) {
      const { keys } = await effectsOfRun(ctx.store, run);
      checked += keys.length;
      const seen = new Map<string, number>();
      for (const r of keys) seen.set(r.key, (seen.get(r.key) ?? 0) + 1);
      for (const [key, n] of seen) if (n > 1) violations.push(`${run.workflowId}: key ${key} recorded ${n} times`);
      const chain = new Set((run.runs ?? []).map((r) => r.runId));
      for (const r of keys) {
        if (r.workflow_id === null) continue; // applied outside an activity (seeding)
        if (r.workflow_id !== run.workflowId) violations.push(`${run.workflowId}: its key ${r.key} was applied by workflow ${r.workflow_id}`);
        else if (chain.size && r.run_id !== null && !chain.has(r.run_id)) {
          violations.push(`${run.workflowId}: its key ${r.key} was applied by run ${r.run_id}, outside its chain`);
        }
      }
    }
    return verdict(checked, violations);
  },
};

/**
 * A run that compensated (it ran compensations through `compensateEffect`, or failed with
 * `SagaCompensationFailed`) left a tombstone on each of its step keys, no step landed after its
 * tombstone, and no undo reported "nothing to undo" for a step that had landed. A step left
 * without a tombstone is a note, not a violation, when the run itself reported that many failed
 * compensations. A completed run has no tombstone on any of its steps.
 */
export const compensatedRunsUndone: InvariantCheck = {
  name: 'compensated runs undone',
  description:
    'every run that compensated has a tombstone (steadfast_compensations) on each key it applied, none landed after its undo; a completed run had nothing undone',
  async check(ctx) {
    const violations: string[] = [];
    const notes: string[] = [];
    let checked = 0;
    for (const run of runsChecked(compensatedRunsUndone, ctx)) {
      const { forward, compensations, tombstones } = await effectsOfRun(ctx.store, run);
      if (run.status === 'completed') {
        checked++;
        const undone = forward.filter((r) => tombstones.has(r.key)).map((r) => r.key);
        if (undone.length) violations.push(`${run.workflowId}: completed, yet its steps ${undone.join(', ')} were compensated`);
        continue;
      }
      if (!compensations.length && run.failureType !== SAGA_COMPENSATION_FAILED) continue;
      checked++;
      const missing: string[] = [];
      for (const step of forward) {
        const t = tombstones.get(step.key);
        if (!t) missing.push(step.key);
        else if (step.created_at > t.created_at) {
          violations.push(`${run.workflowId}: step ${step.key} landed (${step.created_at}) after its compensation ${t.compensation_key} (${t.created_at})`);
        } else if (t.outcome === 'nothing-to-undo') {
          violations.push(`${run.workflowId}: step ${step.key} had landed, but its compensation ${t.compensation_key} found nothing to undo`);
        }
      }
      if (!missing.length) continue;
      const reported = run.failedCompensations ?? [];
      const line = `${run.workflowId}: ${run.status}, its steps ${missing.join(', ')} have no compensation record`;
      if (reported.length >= missing.length) notes.push(`${line}; the run reported failed compensations (${reported.join(', ')})`);
      else violations.push(line);
    }
    return { ...verdict(checked, violations), ...(notes.length ? { notes } : {}) };
  },
};

/** The checks a generic chaos type brings. */
export const GENERIC_INVARIANTS: readonly InvariantCheck[] = [effectsAtMostOnce, compensatedRunsUndone];
