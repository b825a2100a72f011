/**
 * Idempotency keys, derived in the workflow so that they are stable across retries, worker crashes
 * and replays: the workflow id plus a step name (never an attempt number or a random value).
 */
import { workflowInfo } from '@temporalio/workflow';

/**
 * The key of one logical step of this run: `<workflowId>/<step>`. Within a loop, put the iteration
 * in the step name (`"charge/3"`). A reset keeps the workflow id, so a reset run gets the same keys
 * and effects that already landed are returned, not repeated. Continue-as-new keeps the workflow id
 * too, so a step repeated in the next run needs its iteration in the name.
 *
 * Pass `scope` to key a step by business identity instead of the workflow id (say, an order id),
 * so that two runs for the same business object share their effects.
 *
 * @example
 * await admitPatient({ key: stepKey('admit'), patientId });
 * await chargePayment({ key: stepKey('charge', `order:${orderId}`), ... });
 */
export function stepKey(step: string, scope: string = workflowInfo().workflowId): string {
  return `${scope}/${step}`;
}
