/**
 * Key retention: removing the idempotency keys of runs that closed long ago, so the keys table
 * does not grow forever. A key is the only thing that stops its step from applying twice, so a
 * key is removed only when its run is known to be closed: the caller asks Temporal (`isOpen`),
 * and keys whose run is unknown are kept.
 */
import { parseStepKey } from '../common/idempotency-key';
import type { EffectStore } from './store/types';

/** Remembers the oldest age that was pruned, so `verifyStore` does not take older effects for keyless ones. */
export const PRUNE_DDL = [
  `CREATE TABLE IF NOT EXISTS steadfast_prunes (
     pruned_before TEXT NOT NULL,
     pruned_at TEXT NOT NULL,
     removed INTEGER NOT NULL
   )`,
];

/** What {@link pruneKeys} needs. */
export interface PruneOptions {
  /** Keys recorded before this instant are candidates. */
  before: Date;
  /** Only keys of this namespace are considered (a store may be shared by several). */
  namespace: string;
  /**
   * Whether any run with this workflow id is still open (running), asked of Temporal. A workflow
   * id that Temporal no longer knows is closed.
   */
  isOpen(workflowId: string): Promise<boolean>;
  /** Count, but remove nothing. */
  dryRun?: boolean;
}

/** What {@link pruneKeys} did. */
export interface PruneReport {
  /** Keys older than the cutoff. */
  candidates: number;
  /** Keys deleted (with `dryRun`: the keys that would have been). */
  removed: number;
  /** Kept: their run is still open. */
  keptOpen: number;
  /** Kept: no run recorded with them (seeding, or recorded before runs were), or another namespace. */
  keptUnowned: number;
  /** Workflow ids asked about. */
  workflows: number;
}

/** Removes the keys older than `before` whose run is closed (see the file comment). */
export async function pruneKeys(store: EffectStore, options: PruneOptions): Promise<PruneReport> {
  await store.migrate(PRUNE_DDL);
  const cutoff = options.before.toISOString();
  const rows = await store.all<{ key: string; workflow_id: string | null }>(
    'SELECT key, workflow_id FROM steadfast_idempotency WHERE created_at < ? ORDER BY created_at',
    [cutoff],
  );
  const byWorkflow = new Map<string, string[]>();
  let keptUnowned = 0;
  for (const r of rows) {
    const parsed = parseStepKey(r.key);
    if (!r.workflow_id || !parsed || parsed.namespace !== options.namespace) {
      keptUnowned++;
      continue;
    }
    byWorkflow.set(r.workflow_id, [...(byWorkflow.get(r.workflow_id) ?? []), r.key]);
  }
  let removed = 0;
  let keptOpen = 0;
  for (const [workflowId, keys] of byWorkflow) {
    if (await options.isOpen(workflowId)) {
      keptOpen += keys.length;
      continue;
    }
    if (options.dryRun) {
      removed += keys.length;
      continue;
    }
    await store.transaction(async (tx) => {
      for (const key of keys) removed += (await tx.run('DELETE FROM steadfast_idempotency WHERE key = ? AND created_at < ?', [key, cutoff])).changes;
    });
  }
  if (!options.dryRun && removed > 0) {
    await store.run('INSERT INTO steadfast_prunes (pruned_before, pruned_at, removed) VALUES (?, ?, ?)', [cutoff, new Date().toISOString(), removed]);
  }
  return { candidates: rows.length, removed, keptOpen, keptUnowned, workflows: byWorkflow.size };
}

/** The latest cutoff that keys were pruned before (ISO), if any: effects older than it may have lost their key on purpose. */
export async function prunedBefore(store: Pick<EffectStore, 'get'>): Promise<string | undefined> {
  try {
    const row = await store.get<{ t: string | null }>('SELECT MAX(pruned_before) AS t FROM steadfast_prunes');
    return row?.t ?? undefined;
  } catch {
    return undefined; // never pruned: the table does not exist
  }
}
