/**
 * `productionBatch` for the CLI: its input is checked with the workflow's own schema
 * (`workflows/production-batch.ts`) without `carried` (the tally a run hands to the next when it
 * continues as new; callers never set it), strict so that a misspelt key is an error. It handles
 * no signals, queries or updates.
 */
import { productionBatch } from '../../workflows';
import { productionBatchInputSchema } from '../../workflows/production-batch';
import type { Activities } from '../../activities';
import { defineWorkflowType } from 'steadfast';

/** `productionBatch`'s entry in the workflow registry. */
export const productionBatchType = defineWorkflowType({
  workflow: productionBatch,
  summary:
    "production line: each batch reserves materials, runs its machine stages (checkpointed), passes quality check or rework, is recorded; continues as new every batchesPerRun batches",
  input: productionBatchInputSchema.omit({ carried: true }),
  example: { lineId: 'line-7', product: 'gearbox', batches: 3, unitsPerBatch: 10, stages: ['machining', 'assembly'] },
  activities: ['reserveMaterials', 'runStage', 'inspectBatch', 'reworkBatch', 'recordBatch', 'releaseMaterials'] satisfies (keyof Activities)[],
});
