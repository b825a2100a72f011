/**
 * Idempotency keys, derived in the workflow so that they are stable across retries, worker crashes,
 * replays and resets: the run chain plus a step name (never an attempt number or a random value).
 * The key's shape is in src/common/idempotency-key.ts.
 */
import { patched, workflowInfo } from '@temporalio/workflow';
import { legacyStepKey, runStepKey, scopedStepKey } from '../common/idempotency-key';

/**
 * The patch that made keys run-scoped. Runs that started before it replay with their old keys
 * (`<workflowId>/<step>`), so an effect they already applied is still found and a compensation
 * still undoes it. Permanent: see docs/REPLAY.md before retiring it with `deprecatePatch`.
 */
export const RUN_SCOPED_KEYS_PATCH = 'steadfast-run-scoped-keys';

/**
 * The key of one logical step of this run. By default it belongs to this run chain: the namespace,
 * the workflow id and the first execution's run id, which continue-as-new and a reset keep. So a
 * reset run gets the same keys (effects that already landed are returned, not repeated), while a
 * later run that reuses the workflow id gets new ones and can never read, repeat or undo the
 * effects of an earlier run. Within a loop or across continue-as-new, put the iteration in the step
 * name (`"charge/3"`).
 *
 * Pass `scope` to key a step by business identity instead (say, an order id), so that every run in
 * the namespace that names the same object shares the step's effect. Such a key is shared on
 * purpose: a run that reuses it with other request fields is refused (`IdempotencyKeyReused`, which
 * the saga never compensates), and a run that compensates it undoes the shared effect.
 *
 * Compute a run's keys together, at the start of the run: a run that started before
 * {@link RUN_SCOPED_KEYS_PATCH} keeps its old keys only while it replays.
 *
 * @example
 * await admitPatient({ key: stepKey('admit'), patientId });
 * await chargePayment({ key: stepKey('charge', `order:${orderId}`), ... });
 */
export function stepKey(step: string, scope?: string): string {
  const info = workflowInfo();
  if (!patched(RUN_SCOPED_KEYS_PATCH)) return legacyStepKey(scope ?? info.workflowId, step);
  return scope === undefined
    ? runStepKey({ namespace: info.namespace, workflowId: info.workflowId, firstExecutionRunId: info.firstExecutionRunId }, step)
    : scopedStepKey(info.namespace, scope, step);
}
