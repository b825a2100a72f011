import { IdempotencyKeyReusedError, type KeyOwner, type OnceOptions, type OnceResult, type StoreTx } from './types';
import { requestHash } from './keys';

/**
 * What {@link applyOnce} may also check in its key lookup (internal: `applyEffect` passes it through
 * `EffectStore.once`'s options; the public `OnceOptions` do not name it).
 */
export interface CompensationGuard {
  /** Throws: the key's step was compensated (by `compensationKey`) and must not land or report. */
  refuse(compensationKey: string): never;
  /** Set by {@link applyOnce} once it looked the tombstone up with the key, in the key's transaction. */
  checked?: boolean;
}

/**
 * The exactly-once step, run inside a transaction that the caller holds (and, on PostgreSQL, after
 * taking the key's advisory lock): look the key up, and either return its recorded result or run the
 * effect and record the result, in the same transaction. A result of `undefined` is recorded as null.
 * With `options.guard`, the lookup also reads the key's compensation tombstone (in the same
 * statement with `joined`), and a compensated key is refused before anything else (recorded or not).
 */
export async function applyOnce<T>(
  tx: StoreTx,
  key: string,
  request: unknown,
  effect: (tx: StoreTx) => Promise<T>,
  options: { owner?: KeyOwner; guard?: CompensationGuard; joined?: boolean } = {},
): Promise<OnceResult<T>> {
  const hash = requestHash(request);
  const { owner, guard } = options;
  let row: { request_hash: string | null; response: string | null; compensation_key?: string | null } | undefined;
  if (guard && options.joined) {
    // One round trip for both (PostgreSQL, where each statement is one).
    row = await tx.get(
      'SELECT i.request_hash, i.response, c.compensation_key FROM (SELECT CAST(? AS TEXT) AS k) q ' +
        'LEFT JOIN steadfast_idempotency i ON i.key = q.k LEFT JOIN steadfast_compensations c ON c.key = q.k',
      [key],
    );
  } else {
    // In process (SQLite), two primary-key lookups cost less than the join.
    row = await tx.get('SELECT request_hash, response FROM steadfast_idempotency WHERE key = ?', [key]);
    if (guard) {
      const tomb = await tx.get<{ compensation_key: string }>('SELECT compensation_key FROM steadfast_compensations WHERE key = ?', [key]);
      row = { request_hash: row?.request_hash ?? null, response: row?.response ?? null, compensation_key: tomb?.compensation_key ?? null };
    }
  }
  if (guard) {
    guard.checked = true;
    if (row?.compensation_key) guard.refuse(row.compensation_key);
  }
  if (row?.request_hash != null) {
    if (row.request_hash !== hash) throw new IdempotencyKeyReusedError(key, row.request_hash, hash);
    return { value: JSON.parse(row.response!) as T, replayed: true };
  }
  const value = await effect(tx);
  await tx.run(
    'INSERT INTO steadfast_idempotency (key, request_hash, response, created_at, workflow_id, run_id) VALUES (?, ?, ?, ?, ?, ?)',
    [key, hash, JSON.stringify(value ?? null), new Date().toISOString(), owner?.workflowId ?? null, owner?.runId ?? null],
  );
  return { value, replayed: false };
}

/** The {@link CompensationGuard} an `EffectStore.once` caller passed in its options, if any. */
export function guardOf(options: OnceOptions | undefined): CompensationGuard | undefined {
  return (options as { compensationGuard?: CompensationGuard } | undefined)?.compensationGuard;
}
