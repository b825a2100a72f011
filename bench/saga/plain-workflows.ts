/**
 * The saga benchmark's plain-Temporal workflow, for the overhead ratio: the same flow as
 * `orderSaga` (workflows.ts) with a try/catch, plain inserts and the SDK's default activity
 * options. It imports nothing from Steadfast, so its bundle is the SDK's own.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { OrderSagaOptions, OrderSagaResult } from './workflows';
import type { SagaBenchActivities } from './activities';

const plain = proxyActivities<SagaBenchActivities>({ startToCloseTimeout: '10 seconds' });
const plainLocal = proxyLocalActivities<SagaBenchActivities>({ startToCloseTimeout: '10 seconds' });

/** Plain Temporal: no saga class, no key store, the SDK's default retry policy. */
export async function orderSagaPlain(orderId: string, failShip: boolean, options: OrderSagaOptions = {}): Promise<OrderSagaResult> {
  const act = options.local ? plainLocal : plain;
  await act.plainReserve(orderId);
  await act.plainCharge(orderId);
  try {
    await act.plainShip(orderId, failShip);
    return 'shipped';
  } catch {
    await act.plainRefund(orderId);
    await act.plainRelease(orderId);
    return 'compensated';
  }
}
