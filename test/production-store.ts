/**
 * Production-line test fixtures: a small line's input, and reading the line's effects back from
 * the store for assertions.
 */
import type { EffectStore } from '../src/activity/store';
import { keyStep, keysLike } from './helpers';
import type { ProductionBatchInput } from '../workflows/production-batch';
export { stageAttempts, type StageAttempt } from '../activities/production';

/** A small line: one batch of 10 units through two 200 ms stages, checkpointed every 5 units. */
export function productionLine(lineId: string, overrides: Partial<ProductionBatchInput> = {}): ProductionBatchInput {
  return {
    lineId,
    product: 'gearbox',
    batches: 1,
    unitsPerBatch: 10,
    stages: ['machining', 'assembly'],
    unitMs: 20,
    chunkUnits: 5,
    ...overrides,
  };
}

/** One non-unit effect of a run, with its step (the key without the workflow id). */
export interface ProductionEffect {
  key: string;
  step: string;
  attempt: number;
  kind: string;
  detail: string;
  created_at: string;
}

/** The run's reservations, inspections, repairs, releases and batch records, in the order they happened. */
export async function productionEffects(store: EffectStore, workflowId: string): Promise<ProductionEffect[]> {
  const rows = await store.all<Omit<ProductionEffect, 'step'>>(
    'SELECT key, attempt, kind, detail, created_at FROM production_events WHERE key LIKE ? ORDER BY created_at, key',
    [keysLike(workflowId)],
  );
  return rows.map((r) => ({ ...r, attempt: Number(r.attempt), step: keyStep(r.key) }));
}

/** The committed chunks of a stage, as [from, to) pairs in unit order (a repeated chunk appears twice). */
export async function stageChunks(store: EffectStore, stageKey: string): Promise<[number, number][]> {
  const rows = await store.all<{ units_from: number; units_to: number }>(
    'SELECT units_from, units_to FROM production_units WHERE stage_key = ? ORDER BY units_from, attempt',
    [stageKey],
  );
  return rows.map((r) => [Number(r.units_from), Number(r.units_to)]);
}

/**
 * Effect keys under a workflow that were applied more than once (by different attempts), across
 * every production table. Empty means exactly-once held.
 */
export async function repeatedEffects(store: EffectStore, workflowId: string): Promise<{ key: string; n: number }[]> {
  const like = keysLike(workflowId);
  const rows = await store.all<{ key: string; n: number }>(
    `SELECT key, COUNT(*) AS n FROM (
       SELECT key FROM production_events WHERE key LIKE ?
       UNION ALL SELECT key FROM production_units WHERE key LIKE ?
     ) effects GROUP BY key HAVING COUNT(*) > 1`,
    [like, like],
  );
  return rows.map((r) => ({ key: r.key, n: Number(r.n) }));
}
