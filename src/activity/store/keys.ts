import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so that equal requests hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** SHA-256 of the canonical JSON of a request: what a key is bound to. */
export function requestHash(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request ?? null)).digest('hex');
}

/**
 * The store's own tables, created when a store opens: the keys (each bound to its request and
 * recorded response, and to the run that applied it: `workflow_id`, `run_id`, null outside an
 * activity such as seeding, so that `steadfast store prune` can ask Temporal whether that run is
 * still open; `created_at` is indexed for pruning) and the compensation tombstones of
 * `compensateEffect`.
 */
export const KEYS_DDL = [
  `CREATE TABLE IF NOT EXISTS steadfast_idempotency (
     key TEXT PRIMARY KEY,
     request_hash TEXT NOT NULL,
     response TEXT NOT NULL,
     created_at TEXT NOT NULL,
     workflow_id TEXT,
     run_id TEXT
   )`,
  `CREATE TABLE IF NOT EXISTS steadfast_compensations (
     key TEXT PRIMARY KEY,
     compensation_key TEXT NOT NULL,
     service TEXT NOT NULL,
     outcome TEXT NOT NULL,
     created_at TEXT NOT NULL
   )`,
];

/** Columns added to {@link KEYS_DDL}'s table after it first shipped; each store adds the missing ones. */
export const KEYS_ADDED_COLUMNS = ['workflow_id', 'run_id'] as const;

/** Indexes created after the added columns exist. */
export const KEYS_INDEXES = ['CREATE INDEX IF NOT EXISTS steadfast_idempotency_created_at ON steadfast_idempotency (created_at)'];
