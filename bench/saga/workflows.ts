/**
 * The saga benchmark's Steadfast workflow: reserve → charge → ship, each writing one row, and a
 * failed ship compensated by refund, then release, written with Steadfast (`Saga`, `stepKey`, the
 * effect store's exactly-once activities). `plain-workflows.ts` has the same flow in plain
 * Temporal, in a bundle of its own: the sandbox evaluates every module of a bundle for every run,
 * so a plain bundle that also held this file would pay for Steadfast's modules in each plain run.
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
