/**
 * `productionBatch` under chaos: a short line (2 batches, 2 stages of 6 units at 50 ms a unit,
 * checkpointed every 2 units), so a run takes a few seconds and a chaos run stays bounded, while a
 * worker kill can still land in the middle of a heartbeating stage and be resumed from its
 * checkpoint. Every other line continues as new after each batch (`batchesPerRun` 1): the harness
 * reads every run of the chain, and the check wants the chain as long as the batches call for, every
 * run but the last ended by continue-as-new, and the effects of all runs exactly once.
 *
 * Faults may hit every activity, `releaseMaterials` (the undo of a failed batch) included: a lost
 * reply or a hang there is where a double release would show. One run in two meets planted defects
 * on one batch: a single rework pass fixes them (the batch completes after a rework) or two are
 * needed (with `maxReworks` 1 the batch is scrapped; the run still completes).
 *
 * A permanent fault fails the batch where the faulty activity is first called (for `reworkBatch`
 * only a defective batch calls it; for `releaseMaterials` only a failing one): its reservation is
 * released and the run fails with `SimulatedPermanentFault` (ActivityFailure ◄ ApplicationFailure).
 * If `releaseMaterials` itself has a permanent fault, the reservation stays and the batch's saga
 * fails the run with `SagaCompensationFailed`, caused by the original failure.
 */
import type { ProductionBatchInput, ProductionLineResult } from '../workflows/production-batch';
import { SimulatedFaultType, type EffectStore } from 'steadfast/activity';
import { SAGA_COMPENSATION_FAILED } from 'steadfast/workflow';
import { plantDefects } from '../activities/production';
import {
  type ChaosFaultPlan,
  type ChaosRunDraw,
  type ChaosWorkflowType,
  type ExpectedOutcome,
  type ChaosRunRecord as RunRecord,
} from 'steadfast/testing';
import { runKeyPrefix, stepOfRunKey } from 'steadfast/activity';

/** Defects planted in one batch: found by the quality check until `reworkPasses` rework passes were made. */
interface Defects {
  batch: number;
  units: number;
  reworkPasses: number;
}

interface ProductionWorld {
  defects?: Defects;
}

/** What a production run must end as, and the effects it must leave. */
export interface ProductionPrediction {
  expected: ExpectedOutcome;
  /** Event effects (`production_events`): key suffix after `<workflowId>/` → kind. */
  events: Map<string, string>;
  /** Checkpointed stages and rework passes (`production_units`): key suffix → units. */
  units: Map<string, number>;
  /** For a failed run whose release ran: whether it found a reservation to release. */
  released?: boolean;
  /** For a completed run: its tally. */
  tally?: Omit<ProductionLineResult, 'lineId'>;
}

/**
 * Works through a production run step by step as the workflow does, applying the plan's permanent
 * faults (every other planned fault is retried away) and the planted defects.
 */
export function predictProduction(input: ProductionBatchInput, world: ProductionWorld, plan: ChaosFaultPlan): ProductionPrediction {
  const perm = (activity: string) => plan[activity]?.kind === 'permanent';
  const maxReworks = input.maxReworks ?? 2;
  const events = new Map<string, string>();
  const units = new Map<string, number>();
  const tally = { batches: input.batches, completed: 0, scrapped: 0, reworks: 0, unitsProduced: 0, runs: runsOf(input) };
  for (let batch = 1; batch <= input.batches; batch++) {
    const k = (step: string) => `batch-${batch}/${step}`;
    let passesLeft = world.defects?.batch === batch ? world.defects.reworkPasses : 0;
    let reserved = false;
    const failed = ((): boolean => {
      if (perm('reserveMaterials')) return true;
      events.set(k('reserve'), 'reserve');
      reserved = true;
      for (const stage of input.stages) {
        if (perm('runStage')) return true;
        units.set(k(`stage-${stage}`), input.unitsPerBatch);
      }
      for (let reworks = 0; ; reworks++) {
        if (perm('inspectBatch')) return true;
        events.set(k(`inspect-${reworks + 1}`), 'inspection');
        const defective = passesLeft > 0;
        if (!defective || reworks >= maxReworks) {
          if (perm('recordBatch')) return true;
          const status = defective ? 'scrapped' : 'completed';
          events.set(k('record'), `batch-${status}`);
          tally[status]++;
          tally.reworks += reworks;
          if (!defective) tally.unitsProduced += input.unitsPerBatch;
          return false;
        }
        if (perm('reworkBatch')) return true;
        units.set(k(`rework-${reworks + 1}`), world.defects!.units);
        events.set(k(`rework-${reworks + 1}/repair`), 'repair');
        passesLeft--;
      }
    })();
    if (failed) {
      const failure: ExpectedOutcome = { status: 'failed', failureType: SimulatedFaultType.permanent };
      if (perm('releaseMaterials')) {
        return { expected: { status: 'failed', failureType: SAGA_COMPENSATION_FAILED }, events, units };
      }
      events.set(k('release'), 'release');
      return { expected: failure, events, units, released: reserved };
    }
  }
  return { expected: { status: 'completed' }, events, units, tally };
}

/** How many runs a line that completes takes: it continues as new after every `batchesPerRun` batches. */
function runsOf(input: ProductionBatchInput): number {
  return Math.max(1, Math.ceil(input.batches / (input.batchesPerRun ?? 10)));
}

const inputOf = (run: ChaosRunDraw) => run.args[0] as ProductionBatchInput;
const worldOf = (run: ChaosRunDraw) => (run.world ?? {}) as ProductionWorld;

/**
 * Compares a production run's effects with {@link predictProduction}: every event once, under a
 * recorded key; every stage's units exactly once, in contiguous chunks; the release (if any) found
 * what it should; a completed run's tally.
 */
async function checkProduction(store: EffectStore, run: RunRecord): Promise<string[]> {
  const problems: string[] = [];
  const want = predictProduction(inputOf(run), worldOf(run), run.plan);
  const prefix = runKeyPrefix(run);
  const like = [`${prefix}%`];

  const events = await store.all<{ key: string; kind: string; detail: string }>(
    'SELECT key, kind, detail FROM production_events WHERE key LIKE ? ORDER BY key, attempt',
    like,
  );
  const seen = new Map<string, string>();
  for (const e of events) {
    const suffix = stepOfRunKey(run, e.key);
    if (seen.has(suffix)) problems.push(`${run.workflowId}: ${e.kind} ${suffix} applied more than once`);
    seen.set(suffix, e.kind);
    if (e.kind === 'release' && want.released !== undefined && (JSON.parse(e.detail) as { released: boolean }).released !== want.released) {
      problems.push(`${run.workflowId}: release of ${suffix} found ${want.released ? 'no' : 'a'} reservation, expected the opposite`);
    }
  }
  const list = (m: Map<string, string | number>) => [...m].map(([k, v]) => `${k}:${v}`).sort();
  if (JSON.stringify(list(seen)) !== JSON.stringify(list(want.events))) {
    problems.push(`${run.workflowId}: events [${list(seen).join(', ')}], expected [${list(want.events).join(', ')}]`);
  }

  const chunks = await store.all<{ key: string; stage_key: string; units_from: number; units_to: number }>(
    'SELECT key, stage_key, units_from, units_to FROM production_units WHERE stage_key LIKE ? ORDER BY stage_key, units_from, attempt',
    like,
  );
  const stages = new Map<string, number>();
  for (const c of chunks) {
    const stage = stepOfRunKey(run, c.stage_key);
    const done = stages.get(stage) ?? 0;
    // Chunks must follow each other exactly: a gap is lost work, an overlap is work done twice.
    if (Number(c.units_from) !== done) problems.push(`${run.workflowId}: ${stage} has a chunk from ${c.units_from} after ${done} units`);
    stages.set(stage, Number(c.units_to));
  }
  if (JSON.stringify(list(stages)) !== JSON.stringify(list(want.units))) {
    problems.push(`${run.workflowId}: units per stage [${list(stages).join(', ')}], expected [${list(want.units).join(', ')}]`);
  }

  const keyless = await store.all<{ key: string }>(
    `SELECT e.key FROM (SELECT key FROM production_events WHERE key LIKE ? UNION SELECT key FROM production_units WHERE stage_key LIKE ?) e
     LEFT JOIN steadfast_idempotency i ON i.key = e.key WHERE i.key IS NULL`,
    [...like, ...like],
  );
  for (const k of keyless) problems.push(`${run.workflowId}: effect ${k.key} has no idempotency record`);

  if (run.status === 'completed' && run.runs) {
    // The chain, across runs: as many runs as the batches call for, all but the last continued as new.
    const statuses = run.runs.map((r) => r.status);
    const expected = [...Array<string>(runsOf(inputOf(run)) - 1).fill('continued_as_new'), 'completed'];
    if (JSON.stringify(statuses) !== JSON.stringify(expected)) {
      problems.push(`${run.workflowId}: runs [${statuses.join(', ')}], expected [${expected.join(', ')}]`);
    }
  }
  if (run.status === 'completed' && want.tally) {
    // Only the tally's fields, in one order: the result also carries the line id.
    const fields = Object.keys(want.tally).sort();
    const [got, expected] = [JSON.stringify(run.result ?? {}, fields), JSON.stringify(want.tally, fields)];
    if (got !== expected) problems.push(`${run.workflowId}: result ${got}, expected ${expected}`);
  }
  return problems;
}

/** `productionBatch`: see the file comment. */
export const productionBatchChaos: ChaosWorkflowType = {
  name: 'productionBatch',
  faultableActivities: ['reserveMaterials', 'runStage', 'inspectBatch', 'reworkBatch', 'recordBatch', 'releaseMaterials'],
  draw({ workflowId, index, rng }) {
    const input: ProductionBatchInput = {
      lineId: workflowId,
      // Every other line continues as new after each batch; taken from the index, not the rng, so
      // that a seed draws the same runs as before.
      batchesPerRun: Math.floor(index / 4) % 2 === 0 ? 1 : 10,
      product: rng.pick(['gearbox', 'pump', 'valve']),
      batches: 2,
      unitsPerBatch: 6,
      stages: ['machining', 'assembly'],
      maxReworks: 1,
      unitMs: 50,
      chunkUnits: 2,
    };
    const defects = rng.pick([undefined, undefined, 1, 2] as const);
    if (defects === undefined) return { args: [input] };
    return { args: [input], world: { defects: { batch: rng.int(1, 2), units: 2, reworkPasses: defects } satisfies Defects } };
  },
  async seed(store, run) {
    const { defects } = worldOf(run);
    if (defects) await plantDefects(store, { lineId: inputOf(run).lineId, batch: defects.batch, units: defects.units, reworkPasses: defects.reworkPasses });
  },
  expected: (plan, run) => predictProduction(inputOf(run), worldOf(run), plan).expected,
  checkEffects: checkProduction,
};
