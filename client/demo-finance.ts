/**
 * The finance scenarios of the demo: an order that completes, one that is compensated, and one
 * cancelled while a step is in flight. Each seeds its accounts and stock (once per demo run) and
 * prints the balances and stock afterwards, so the undo is visible next to the trail.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { balances } from '../activities/bank';
import { sampleOrder, seedFinance, type FinanceFixture } from '../activities/finance-seed';
import { stockLevels } from '../activities/inventory';
import { runKeyOf, runKeyPrefix, runKeysOf, stepOfRunKey, type FaultPlan, FAULT_PLAN_MEMO_KEY, workflowStartOptions } from 'steadfast/client';
import { type EffectStore } from 'steadfast/activity';
import { type TemporalHandle } from 'steadfast/testing';
import { formatCents } from '../contracts/money';
import { orderFulfillment } from '../workflows';
import { OrderStep } from '../contracts/finance-steps';
import type { DemoScenario } from './demo';

function startOrder(
  temporal: TemporalHandle,
  taskQueue: string,
  f: FinanceFixture,
  orderId: string,
  faults?: FaultPlan,
): Promise<WorkflowHandle> {
  return temporal.client.workflow.start(orderFulfillment, {
    taskQueue,
    workflowId: `order-${orderId}`,
    args: [sampleOrder(f, orderId)],
    memo: faults ? { [FAULT_PLAN_MEMO_KEY]: faults } : undefined,
    ...workflowStartOptions(),
  });
}

const cents = formatCents;

/** Balances, stock, and what each compensation of the run found: an effect to undo, or none. */
async function shopState(store: EffectStore, runTag: string, handle: WorkflowHandle): Promise<string> {
  const f = await seedFinance(store, runTag);
  const b = await balances(store);
  const s = await stockLevels(store);
  const run = await runKeysOf(handle);
  const undone = await store.all<{ key: string; outcome: string }>(
    'SELECT key, outcome FROM steadfast_compensations WHERE key LIKE ? ORDER BY created_at',
    [`${runKeyPrefix(run)}%`],
  );
  return (
    `alice ${cents(b[f.accounts.alice])}, shop ${cents(b[f.accounts.merchant])}; ` +
    `stock: widgets ${s[f.skus.widget].available}, gadgets ${s[f.skus.gadget].available}` +
    (undone.length ? `\n  compensated: ${undone.map((u) => `${stepOfRunKey(run, u.key)} ${u.outcome}`).join(', ')}` : '')
  );
}

/** Order scenarios for `client/demo.ts`. */
export const financeScenarios: DemoScenario[] = [
  {
    title: 'Order: reserve → charge (a flaky card processor: 1 transient fault) → ship → notify',
    start: async (temporal, taskQueue, runTag, store) =>
      startOrder(temporal, taskQueue, await seedFinance(store, runTag), `1001-${runTag}`, {
        chargePayment: { kind: 'transient', times: 1 },
      }),
    after: shopState,
  },
  {
    title: 'Order compensated: the carrier rejects the shipment for good → cancel, refund, release in reverse order',
    expected: 'failed',
    start: async (temporal, taskQueue, runTag, store) =>
      startOrder(temporal, taskQueue, await seedFinance(store, runTag), `1002-${runTag}`, {
        createShipment: { kind: 'permanent' },
      }),
    after: shopState,
  },
  {
    title: 'Order cancelled while the shipment is in flight (it landed, its reply did not) → every step undone',
    expected: 'cancelled',
    start: async (temporal, taskQueue, runTag, store) =>
      startOrder(temporal, taskQueue, await seedFinance(store, runTag), `1003-${runTag}`, {
        createShipment: { kind: 'hang-after-effect', times: 1 },
      }),
    async whileRunning(handle, store) {
      const key = runKeyOf(await runKeysOf(handle), OrderStep.createShipment);
      for (let i = 0; i < 200 && !(await store.get('SELECT id FROM shipments WHERE key = ?', [key])); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      console.log('  the shipment landed and its reply is hanging: cancelling the order');
      await handle.cancel();
    },
    after: shopState,
  },
];
