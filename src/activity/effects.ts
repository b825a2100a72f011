/**
 * What every simulated downstream service shares: business rejections with stable types, request
 * validation, and the two ways of touching the effect store:
 *
 *   applyEffect(key)                     the step: exactly once per key, refused once compensated
 *   compensateEffect(key, forwardKey)    its undo: exactly once, a no-op that leaves a tombstone
 *                                        when the step never happened
 *
 * The tombstone (`steadfast_compensations`) is what makes "compensate a step that may or may not
 * have happened" safe: once a step's key is compensated, a late attempt of that step (a hung
 * attempt that wakes up, a reset run) is refused instead of landing after its undo.
 */
import { activityInfo } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../common/failure-types';
import { IdempotencyKeyReusedError, type EffectStore, type KeyOwner, type OnceOptions, type StoreTx } from './store';
import type { CompensationGuard } from './store/once';

/**
 * Throws a business rejection: a non-retryable `ApplicationFailure` whose `type` is `type` (stable:
 * clients, tests and a saga's callers match on it), with `message` and, when given, `details` as its
 * one detail. Temporal does not retry the activity; in a saga, the step fails and compensation starts.
 *
 * @example
 * if (account.balance < req.amount) {
 *   reject('InsufficientFunds', `account ${req.accountId} holds ${account.balance}, needs ${req.amount}`, { accountId: req.accountId });
 * }
 */
export function reject(type: string, message: string, details?: Record<string, unknown>): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true, details: details ? [details] : undefined });
}


/** How a compensation ended: it undid a landed effect, or found none and left a tombstone. */
export type CompensationOutcome = 'undone' | 'nothing-to-undo';

async function compensatedBy(q: Pick<StoreTx, 'get'>, key: string): Promise<string | undefined> {
  const row = await q.get<{ compensation_key: string }>(
    'SELECT compensation_key FROM steadfast_compensations WHERE key = ?',
    [key],
  );
  return row?.compensation_key;
}

function refuseCompensated(key: string, by: string): never {
  return reject(
    FailureType.stepAlreadyCompensated,
    `step "${key}" was already compensated (by "${by}") and will not be applied; ` +
      'to try the business operation again, start a new run with a new workflow id',
    { key, compensationKey: by },
  );
}

/** The workflow run this activity works for; undefined outside an activity (seeding, tests). */
function currentOwner(): KeyOwner | undefined {
  try {
    const { workflowExecution } = activityInfo();
    return workflowExecution ? { workflowId: workflowExecution.workflowId, runId: workflowExecution.runId } : undefined;
  } catch {
    return undefined;
  }
}

function mapKeyReuse(err: unknown): never {
  if (err instanceof IdempotencyKeyReusedError) {
    return reject(FailureType.idempotencyKeyReused, err.message, { key: err.key });
  }
  throw err;
}

/**
 * Applies a step's effect exactly once per `key` (see `EffectStore.once`): a repeat with the same
 * request returns the recorded result; a repeat with different fields is rejected
 * (`IdempotencyKeyReused`); a key that was already compensated is refused (`StepAlreadyCompensated`).
 * Both rejections are non-retryable `ApplicationFailure`s (see {@link FailureType}).
 *
 * `effect` runs in the transaction that records the key, so its writes commit with the key or not
 * at all; an error it throws rolls both back and propagates (a retryable error lets Temporal try the
 * attempt again). Its result is stored as JSON: return plain JSON values. Inside an activity the
 * key is recorded with the activity's run, for `steadfast store prune`.
 *
 * @example
 * async bookFlight(req: { key: string; flight: string }) {
 *   return applyEffect(store, req.key, req, async (tx) => {
 *     await tx.run('INSERT INTO bookings (key, flight) VALUES (?, ?)', [req.key, req.flight]);
 *     return { bookingId: req.key };
 *   });
 * }
 */
export async function applyEffect<T>(
  store: EffectStore,
  key: string,
  request: unknown,
  effect: (tx: StoreTx) => Promise<T>,
): Promise<T> {
  // A compensated step is refused before its recorded result is returned, so a reset run cannot
  // "complete" a step whose effect was undone, and before its effect runs. Steadfast's stores read
  // the tombstone in the key's own lookup, inside the transaction (one statement for both); a store
  // of another make, which ignores the guard, is checked with statements of its own.
  const guard: CompensationGuard = { refuse: (by) => refuseCompensated(key, by) };
  try {
    const { value, replayed } = await store.once(
      key,
      request,
      async (tx) => {
        if (!guard.checked) {
          const by = await compensatedBy(tx, key);
          if (by) refuseCompensated(key, by);
        }
        return effect(tx);
      },
      { owner: currentOwner(), compensationGuard: guard } as OnceOptions,
    );
    if (replayed && !guard.checked) {
      const by = await compensatedBy(store, key);
      if (by) refuseCompensated(key, by);
    }
    return value;
  } catch (err) {
    return mapKeyReuse(err);
  }
}

/**
 * Runs a compensation exactly once per `key`, serialized with the step it undoes (`forwardKey`).
 * `undo` returns whether there was an effect to undo; either way the step's key is marked
 * compensated, so the step can no longer land afterwards. Tolerates "the step never happened".
 * `service` names the service whose step is undone; it is recorded with the tombstone.
 *
 * Resolves with `'undone'` or `'nothing-to-undo'` (the recorded outcome, on a repeat). An error
 * thrown by `undo` rolls back and propagates, so Temporal retries the compensation; reusing `key`
 * with another `forwardKey` is rejected with `IdempotencyKeyReused`.
 *
 * @example
 * async cancelFlight(req: { key: string; bookingKey: string }) {
 *   return compensateEffect(store, 'flights', req.key, req.bookingKey, async (tx) => {
 *     const { changes } = await tx.run('DELETE FROM bookings WHERE key = ?', [req.bookingKey]);
 *     return changes > 0;
 *   });
 * }
 */
export async function compensateEffect(
  store: EffectStore,
  service: string,
  key: string,
  forwardKey: string,
  undo: (tx: StoreTx) => Promise<boolean>,
): Promise<CompensationOutcome> {
  try {
    const { value } = await store.once(
      key,
      { compensates: forwardKey },
      async (tx) => {
        const outcome: CompensationOutcome = (await undo(tx)) ? 'undone' : 'nothing-to-undo';
        await tx.run(
          // DO NOTHING: a second compensation of the same step (another key) keeps the first record.
          'INSERT INTO steadfast_compensations (key, compensation_key, service, outcome, created_at) ' +
            'VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING',
          [forwardKey, key, service, outcome, new Date().toISOString()],
        );
        return outcome;
      },
      { alsoLock: [forwardKey], owner: currentOwner() },
    );
    return value;
  } catch (err) {
    return mapKeyReuse(err);
  }
}
