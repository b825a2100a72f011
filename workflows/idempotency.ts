/**
 * Idempotency keys, derived in the workflow so that they are stable across retries, worker crashes
 * and replays: the workflow id plus a step name (never an attempt number or a random value).
 */
import { workflowInfo } from '@temporalio/workflow';

/**
 * The key of one logical step of this run: `<workflowId>/<step>`. Within a loop, put the iteration
 * in the step name (`"charge/3"`). A reset keeps the workflow id, so a reset run gets the same keys
 * and effects that already landed are returned, not repeated.
 *
 * @example
 * await admitPatient({ key: stepKey('admit'), patientId });
 */
export function stepKey(step: string): string {
  return `${workflowInfo().workflowId}/${step}`;
}
