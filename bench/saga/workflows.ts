/**
 * The saga benchmark's workflows: reserve → charge → ship, each writing one row, and a failed ship
 * compensated by refund, then release. `orderSaga` is written with Steadfast (`Saga`, `stepKey`,
 * the effect store's exactly-once activities); `orderSagaPlain` is the same flow in plain Temporal
 * (a try/catch, plain inserts, the SDK's default activity options) for the overhead ratio.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import { Saga, serviceCall, stepKey } from 'steadfast/workflow';
import type { SagaBenchActivities } from './activities';

/** How a run is executed: regular activities (default) or local activities for the short store writes. */
export interface OrderSagaOptions {
  local?: boolean;
}

/** How an order ended. */
export type OrderSagaResult = 'shipped' | 'compensated';

const regular = proxyActivities<SagaBenchActivities>(serviceCall);
const local = proxyLocalActivities<SagaBenchActivities>(serviceCall);

/** Steadfast's version: compensations registered before each step, run in reverse, keys per run and step. */
export async function orderSaga(orderId: string, failShip: boolean, options: OrderSagaOptions = {}): Promise<OrderSagaResult> {
  const act = options.local ? local : regular;
  const keys = {
    reserve: stepKey('reserve'),
    charge: stepKey('charge'),
    ship: stepKey('ship'),
    refund: stepKey('refund'),
    release: stepKey('release'),
  };
  // Compensations are regular activities with their own retry policy, whatever the profile.
  const saga = new Saga<SagaBenchActivities>();
  try {
    await saga.run(async () => {
      await saga.step('reserve', () => act.reserve({ key: keys.reserve, orderId }), {
        activity: 'release',
        args: [{ key: keys.release, forwardKey: keys.reserve, orderId }],
      });
      await saga.step('charge', () => act.charge({ key: keys.charge, orderId }), {
        activity: 'refund',
        args: [{ key: keys.refund, forwardKey: keys.charge, orderId }],
      });
      await act.ship({ key: keys.ship, orderId, fail: failShip });
    });
    return 'shipped';
  } catch {
    return 'compensated';
  }
}

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
