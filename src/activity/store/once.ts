import { IdempotencyKeyReusedError, type KeyOwner, type OnceResult, type StoreTx } from './types';
import { requestHash } from './keys';

/**
 * The exactly-once step, run inside a transaction that the caller holds (and, on PostgreSQL, after
 * taking the key's advisory lock): look the key up, and either return its recorded result or run the
 * effect and record the result, in the same transaction. A result of `undefined` is recorded as null.
 */
export async function applyOnce<T>(
  tx: StoreTx,
  key: string,
  request: unknown,
  effect: (tx: StoreTx) => Promise<T>,
  owner?: KeyOwner,
): Promise<OnceResult<T>> {
  const hash = requestHash(request);
  const row = await tx.get<{ request_hash: string; response: string }>(
    'SELECT request_hash, response FROM steadfast_idempotency WHERE key = ?',
    [key],
  );
  if (row) {
    if (row.request_hash !== hash) throw new IdempotencyKeyReusedError(key, row.request_hash, hash);
    return { value: JSON.parse(row.response) as T, replayed: true };
  }
  const value = await effect(tx);
  await tx.run(
    'INSERT INTO steadfast_idempotency (key, request_hash, response, created_at, workflow_id, run_id) VALUES (?, ?, ?, ?, ?, ?)',
    [key, hash, JSON.stringify(value ?? null), new Date().toISOString(), owner?.workflowId ?? null, owner?.runId ?? null],
  );
  return { value, replayed: false };
}
