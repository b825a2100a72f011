/**
 * `productionBatch`: the production-line scenario. One run works through the line's batches in
 * order; each batch goes:
 *
 *   reserveMaterials ──► runStage × stages ──► inspectBatch ──passed──► recordBatch(completed)
 *    (release on failure      (long, heartbeating,      │  ▲
 *     or cancellation)         resume from checkpoint)   failed
 *                                                        ▼  │
 *                                                  reworkBatch ── after maxReworks failed checks ──► recordBatch(scrapped)
 *
 * Every `batchesPerRun` batches (or when Temporal suggests it) the run continues as new, carrying
 * the tally, so the history of a line that runs for months stays small. Idempotency keys are the
 * workflow id plus batch and step, so they survive retries, crashes and continue-as-new.
 *
 * If a batch fails (a non-retryable machine fault, retries exhausted) or the run is cancelled, the
 * batch's saga (workflows/saga.ts) releases its material reservation in a non-cancellable scope and
 * the failure propagates; a release that fails for good makes the run fail with
 * `SagaCompensationFailed`, caused by the original failure.
 */
import {
  ApplicationFailure,
  makeContinueAsNewFunc,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import { z } from 'zod';
import type { Activities } from '../activities';
import { stepKey, checkpointedStage, serviceCall, Saga } from 'steadfast/workflow';

/** Failure type of an input that cannot be produced; not retryable. */
export const INVALID_PRODUCTION_INPUT = 'InvalidProductionInput';

const tallySchema = z.object({
  nextBatch: z.number().int().positive(),
  completed: z.number().int().nonnegative(),
  scrapped: z.number().int().nonnegative(),
  reworks: z.number().int().nonnegative(),
  unitsProduced: z.number().int().nonnegative(),
  runs: z.number().int().nonnegative(),
}).strict();

/**
 * The schema of {@link ProductionBatchInput}: the workflow checks its input with it, and the CLI
 * (`client/schemas/production-batch.ts`) checks `--input` with it, without `carried`.
 */
export const productionBatchInputSchema = z.object({
  lineId: z.string().min(1),
  product: z.string().min(1),
  /** Batches the line produces in total. */
  batches: z.number().int().positive(),
  unitsPerBatch: z.number().int().positive(),
  /** Machine stages every batch goes through, in order (e.g. machining, assembly, painting). */
  stages: z.array(z.string().min(1)).min(1),
  /** Failed quality checks that are routed to rework before the batch is scrapped. */
  maxReworks: z.number().int().nonnegative().default(2),
  /** Batches per run before continuing as new. */
  batchesPerRun: z.number().int().positive().default(10),
  /** Simulated machine time per unit, in milliseconds. */
  unitMs: z.number().int().nonnegative().default(50).describe('simulated machine time per unit, in milliseconds'),
  /** Units between two checkpoints of a stage. */
  chunkUnits: z.number().int().positive().default(5),
  /** Carried from the previous run by continue-as-new; callers leave it unset. */
  carried: tallySchema.optional(),
}).strict();

/** Input of {@link productionBatch}. Optional fields have the defaults shown in the schema. */
export type ProductionBatchInput = z.input<typeof productionBatchInputSchema>;

/** The line's tally, carried across continue-as-new. */
export type LineTally = z.infer<typeof tallySchema>;

/** What a line's run returns once every batch is done. */
export interface ProductionLineResult extends Omit<LineTally, 'nextBatch'> {
  lineId: string;
  batches: number;
}

type Spec = z.infer<typeof productionBatchInputSchema>;

const { reserveMaterials, inspectBatch, recordBatch } = proxyActivities<Activities>(serviceCall);
const { runStage, reworkBatch } = proxyActivities<Activities>(checkpointedStage);

function parseInput(input: ProductionBatchInput): Spec {
  const parsed = productionBatchInputSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
    throw ApplicationFailure.create({
      type: INVALID_PRODUCTION_INPUT,
      nonRetryable: true,
      message: `invalid productionBatch input (${problems})`,
      details: [parsed.error.issues.map((i) => i.path.join('.'))],
    });
  }
  return parsed.data;
}

/** One batch, from reservation to record. Returns how it ended and how many rework passes it took. */
async function produceBatch(spec: Spec, batch: number): Promise<{ status: 'completed' | 'scrapped'; reworks: number }> {
  const key = (step: string) => stepKey(`batch-${batch}/${step}`);
  const ref = { lineId: spec.lineId, batch };
  const machine = { unitMs: spec.unitMs, chunkUnits: spec.chunkUnits };
  const reservationKey = key('reserve');
  // The reservation's release is registered before the reservation runs: one that timed out may
  // still have happened. The saga releases it on a failure or a cancellation, in a non-cancellable
  // scope, and a release that fails for good is reported with the original failure.
  const saga = new Saga<Activities>();
  return saga.run(async () => {
    await saga.step(
      'reserve-materials',
      () => reserveMaterials({ ...ref, key: reservationKey, product: spec.product, units: spec.unitsPerBatch }),
      { activity: 'releaseMaterials', args: [{ ...ref, key: key('release'), reservationKey }] },
    );
    for (const stage of spec.stages) {
      await runStage({ ...ref, ...machine, key: key(`stage-${stage}`), stage, units: spec.unitsPerBatch });
    }
    let reworks = 0;
    for (;;) {
      const inspection = await inspectBatch({ ...ref, key: key(`inspect-${reworks + 1}`) });
      if (inspection.passed || reworks >= spec.maxReworks) {
        const status = inspection.passed ? 'completed' : 'scrapped';
        await recordBatch({ ...ref, key: key('record'), status, units: spec.unitsPerBatch, reworks });
        return { status, reworks };
      }
      reworks++;
      await reworkBatch({ ...ref, ...machine, key: key(`rework-${reworks}`), stage: `rework-${reworks}`, units: inspection.defects });
    }
  });
}

/** Produces the line's batches in order, continuing as new every `batchesPerRun` batches. */
export async function productionBatch(input: ProductionBatchInput): Promise<ProductionLineResult> {
  const spec = parseInput(input);
  const tally: LineTally = {
    ...(spec.carried ?? { nextBatch: 1, completed: 0, scrapped: 0, reworks: 0, unitsProduced: 0, runs: 0 }),
  };
  tally.runs++;
  let inThisRun = 0;
  while (tally.nextBatch <= spec.batches) {
    const { status, reworks } = await produceBatch(spec, tally.nextBatch);
    if (status === 'completed') {
      tally.completed++;
      tally.unitsProduced += spec.unitsPerBatch;
    } else {
      tally.scrapped++;
    }
    tally.reworks += reworks;
    tally.nextBatch++;
    inThisRun++;
    const more = tally.nextBatch <= spec.batches;
    if (more && (inThisRun >= spec.batchesPerRun || workflowInfo().continueAsNewSuggested)) {
      // The memo (fault plan, failover profile) is passed on explicitly: it belongs to the line, not to one run.
      await makeContinueAsNewFunc<typeof productionBatch>({ memo: workflowInfo().memo })({ ...input, carried: tally });
    }
  }
  const { completed, scrapped, reworks, unitsProduced, runs } = tally;
  return { lineId: spec.lineId, batches: spec.batches, completed, scrapped, reworks, unitsProduced, runs };
}
