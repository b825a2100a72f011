/**
 * The simulated production line behind `productionBatch`: material stores, machines that work
 * through a batch unit by unit, a quality-check station and a rework cell. State lives in the effect
 * store; every effect is applied once per idempotency key.
 *
 * Long stages are checkpointed:
 *
 *   attempt n:  resume at heartbeat details ──► chunk ──► commit chunk (once) ──► heartbeat ──► chunk …
 *                                                           key <stage>/units-<from>
 *
 * A chunk's effect and its key commit in one transaction, and the heartbeat that records the new
 * position follows the commit. After a crash the next attempt resumes from the last heartbeat that
 * reached the server, which is never past a committed chunk; chunks committed after that heartbeat
 * are found by their keys and not applied again. `production_stage_progress` keeps one row per
 * attempt (units_from → units_to), so tests can see where each attempt started.
 */
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { type EffectStore, type StoreTx } from 'steadfast/activity';

export const PRODUCTION_DDL = [
  // Every non-unit effect (reservation, inspection, release, batch record), one row per key and
  // attempt: a repeated effect would show up as a second row for the same key.
  `CREATE TABLE IF NOT EXISTS production_events (
     key TEXT NOT NULL,
     attempt INTEGER NOT NULL,
     line_id TEXT NOT NULL,
     batch_no INTEGER NOT NULL,
     kind TEXT NOT NULL,
     detail TEXT NOT NULL,
     created_at TEXT NOT NULL,
     PRIMARY KEY (key, attempt)
   )`,
  // Units processed by a stage or rework pass, one row per committed chunk and attempt.
  `CREATE TABLE IF NOT EXISTS production_units (
     key TEXT NOT NULL,
     attempt INTEGER NOT NULL,
     stage_key TEXT NOT NULL,
     units_from INTEGER NOT NULL,
     units_to INTEGER NOT NULL,
     created_at TEXT NOT NULL,
     PRIMARY KEY (key, attempt)
   )`,
  // Where each attempt of a checkpointed stage started and how far it got (observability, not an effect).
  `CREATE TABLE IF NOT EXISTS production_stage_progress (
     stage_key TEXT NOT NULL,
     attempt INTEGER NOT NULL,
     units_from INTEGER NOT NULL,
     units_to INTEGER NOT NULL,
     started_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (stage_key, attempt)
   )`,
  // The simulated world: defects the quality check will find, and how many rework passes fix them.
  `CREATE TABLE IF NOT EXISTS production_defects (
     line_id TEXT NOT NULL,
     batch_no INTEGER NOT NULL,
     units INTEGER NOT NULL,
     passes_left INTEGER NOT NULL,
     PRIMARY KEY (line_id, batch_no)
   )`,
];

/** What a checkpointed stage heartbeats, and what its next attempt resumes from. */
export interface StageCheckpoint {
  unitsDone: number;
}

interface BatchRef {
  /** Idempotency key of this step (workflow id + step). */
  key: string;
  lineId: string;
  batch: number;
}

export interface ReserveMaterialsRequest extends BatchRef {
  product: string;
  units: number;
}

export interface ReleaseMaterialsRequest extends BatchRef {
  /** Key of the reservation to release; it may never have happened. */
  reservationKey: string;
}

export interface RunStageRequest extends BatchRef {
  stage: string;
  units: number;
  /** Simulated machine time per unit, in milliseconds. */
  unitMs: number;
  /** Units per checkpoint. */
  chunkUnits: number;
}

export interface StageResult {
  unitsProcessed: number;
  /** Where this attempt started: 0, or the checkpoint of an attempt that died. */
  resumedFrom: number;
}

export interface InspectionResult {
  passed: boolean;
  defects: number;
}

export interface RecordBatchRequest extends BatchRef {
  status: 'completed' | 'scrapped';
  units: number;
  reworks: number;
}

/** A short reference derived from the key, as a real system would hand out its own id. */
function refFor(prefix: string, key: string): string {
  return `${prefix}-${createHash('sha256').update(key).digest('hex').slice(0, 10)}`;
}

const now = () => new Date().toISOString();

/**
 * Puts defects into a batch of the simulated line, as a faulty machine would: the quality check
 * finds `units` defective units until `reworkPasses` rework passes have been made. Test and demo
 * setup; not an activity.
 */
export async function plantDefects(
  store: EffectStore,
  d: { lineId: string; batch: number; units: number; reworkPasses?: number },
): Promise<void> {
  await store.run('INSERT INTO production_defects (line_id, batch_no, units, passes_left) VALUES (?, ?, ?, ?)', [
    d.lineId,
    d.batch,
    d.units,
    d.reworkPasses ?? 1,
  ]);
}

export function createProductionActivities(store: EffectStore) {
  /** Applies one event-style effect once per key, recording it with the attempt that applied it. */
  async function recordEvent<T>(
    req: BatchRef,
    kind: string,
    request: unknown,
    compute: (tx: StoreTx) => Promise<{ detail: Record<string, unknown>; value: T }>,
  ) {
    const { attempt } = Context.current().info;
    return store.once(req.key, request, async (tx) => {
      const { detail, value } = await compute(tx);
      await tx.run(
        'INSERT INTO production_events (key, attempt, line_id, batch_no, kind, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [req.key, attempt, req.lineId, req.batch, kind, JSON.stringify(detail), now()],
      );
      return value;
    });
  }

  /**
   * Works through `units` in chunks, resuming from the last checkpoint; see the module header.
   * Cancellation (the run was cancelled, or the worker shuts down past its grace time) stops it at a
   * chunk boundary: the chunk in progress is either committed with its key or not at all.
   */
  async function processUnits(req: RunStageRequest): Promise<StageResult> {
    const ctx = Context.current();
    const { attempt } = ctx.info;
    const checkpoint = ctx.info.heartbeatDetails as StageCheckpoint | undefined;
    const resumedFrom = Math.min(Math.max(checkpoint?.unitsDone ?? 0, 0), req.units);
    await store.run(
      `INSERT INTO production_stage_progress (stage_key, attempt, units_from, units_to, started_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (stage_key, attempt) DO NOTHING`,
      [req.key, attempt, resumedFrom, resumedFrom, now(), now()],
    );
    // Re-announce the checkpoint at once: if this attempt dies before its first chunk, the next one
    // still resumes from here rather than from 0.
    ctx.heartbeat({ unitsDone: resumedFrom } satisfies StageCheckpoint);
    let done = resumedFrom;
    while (done < req.units) {
      const from = done;
      const to = Math.min(from + req.chunkUnits, req.units);
      await ctx.sleep((to - from) * req.unitMs); // the machine works; throws CancelledFailure when cancelled
      await store.once(`${req.key}/units-${from}`, { stageKey: req.key, from, to }, async (tx) => {
        await tx.run(
          'INSERT INTO production_units (key, attempt, stage_key, units_from, units_to, created_at) VALUES (?, ?, ?, ?, ?, ?)',
          [`${req.key}/units-${from}`, attempt, req.key, from, to, now()],
        );
      });
      await store.run('UPDATE production_stage_progress SET units_to = ?, updated_at = ? WHERE stage_key = ? AND attempt = ?', [
        to,
        now(),
        req.key,
        attempt,
      ]);
      done = to;
      ctx.heartbeat({ unitsDone: done } satisfies StageCheckpoint);
    }
    return { unitsProcessed: req.units, resumedFrom };
  }

  return {
    /** Reserves the materials of one batch; returns the reservation id. */
    async reserveMaterials(req: ReserveMaterialsRequest): Promise<{ reservationId: string }> {
      const { value } = await recordEvent(req, 'reserve', req, async () => {
        const reservationId = refFor('res', req.key);
        return { detail: { reservationId, product: req.product, units: req.units }, value: { reservationId } };
      });
      return value;
    },

    /**
     * Compensation of {@link reserveMaterials}: returns the materials to stock. Tolerates a
     * reservation that never happened (it records that nothing was released).
     */
    async releaseMaterials(req: ReleaseMaterialsRequest): Promise<{ released: boolean }> {
      const { value } = await recordEvent(req, 'release', req, async (tx) => {
        const reservation = await tx.get('SELECT key FROM production_events WHERE key = ? AND kind = ?', [
          req.reservationKey,
          'reserve',
        ]);
        const released = reservation !== undefined;
        return { detail: { reservationKey: req.reservationKey, released }, value: { released } };
      });
      return value;
    },

    /** A machine stage (machining, assembly, …): long, heartbeating, resumable. */
    async runStage(req: RunStageRequest): Promise<StageResult> {
      return processUnits(req);
    },

    /**
     * The quality-check station inspects the batch. The verdict is recorded under the step's key,
     * so a retried inspection returns the same verdict.
     */
    async inspectBatch(req: BatchRef): Promise<InspectionResult> {
      const { value } = await recordEvent(req, 'inspection', req, async (tx) => {
        const row = await tx.get<{ defects: number | null }>(
          'SELECT SUM(units) AS defects FROM production_defects WHERE line_id = ? AND batch_no = ? AND passes_left > 0',
          [req.lineId, req.batch],
        );
        const defects = Number(row?.defects ?? 0);
        return { detail: { defects }, value: { passed: defects === 0, defects } };
      });
      return value;
    },

    /** The rework cell: works through the defective units (checkpointed like a stage), then repairs them. */
    async reworkBatch(req: RunStageRequest): Promise<StageResult> {
      const result = await processUnits(req);
      await recordEvent({ ...req, key: `${req.key}/repair` }, 'repair', { key: req.key }, async (tx) => {
        const { changes } = await tx.run(
          'UPDATE production_defects SET passes_left = passes_left - 1 WHERE line_id = ? AND batch_no = ? AND passes_left > 0',
          [req.lineId, req.batch],
        );
        return { detail: { repaired: changes > 0 }, value: null };
      });
      return result;
    },

    /** Records the batch as completed (goods to stock) or scrapped; its materials are consumed either way. */
    async recordBatch(req: RecordBatchRequest): Promise<{ batchRef: string }> {
      const { value } = await recordEvent(req, `batch-${req.status}`, req, async () => {
        const batchRef = refFor('lot', req.key);
        return { detail: { batchRef, units: req.units, reworks: req.reworks }, value: { batchRef } };
      });
      return value;
    },
  };
}

/** One row per attempt of a checkpointed stage: where it started and how far it got. */
export interface StageAttempt {
  attempt: number;
  units_from: number;
  units_to: number;
}

/** The attempts of a checkpointed stage (`<workflowId>/batch-<n>/stage-<name>`), in attempt order. */
export async function stageAttempts(store: EffectStore, stageKey: string): Promise<StageAttempt[]> {
  const rows = await store.all<StageAttempt>(
    'SELECT attempt, units_from, units_to FROM production_stage_progress WHERE stage_key = ? ORDER BY attempt',
    [stageKey],
  );
  return rows.map((r) => ({ attempt: Number(r.attempt), units_from: Number(r.units_from), units_to: Number(r.units_to) }));
}
