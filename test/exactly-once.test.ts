/**
 * Exactly-once effects through whole workflows, on the real stores (SQLite always, PostgreSQL when
 * configured) and the time-skipping server: lost replies and long runs of transient failures must
 * still leave one effect per step.
 */
import assert from 'node:assert/strict';
import { seedFinance, type FinanceFixture } from '../activities/finance-seed';
import type { EffectStore } from '../src/activity/store';
import { startTimeSkippingServer, type TemporalHandle } from '../src/platform/servers';
import { runKeyOf, runKeyPrefix } from '../src/common/idempotency-key';
import { moneyTransfer, orderFulfillment } from '../workflows';
import type { FaultPlan, FaultSpec } from '../src/common/fault-plan';
import { OrderStep, TransferStep } from '../contracts/finance-steps';
import { assertVerified, runFinance, stepOf } from './finance-harness';
import { storeBackends, type TempStore } from './stores';

async function rowsFor(store: EffectStore, table: string, key: string): Promise<number> {
  return Number((await store.get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table} WHERE key = ?`, [key]))?.n);
}

for (const backend of storeBackends) {
  describe(`exactly-once effects through workflows (${backend.name})`, function () {
    let temporal: TemporalHandle;
    let temp: TempStore;
    let f: FinanceFixture;

    before(async function () {
      backend.require(this);
      temporal = await startTimeSkippingServer();
    });
    after(async function () {
      await temporal?.close().catch((err) => console.error('server teardown failed:', err));
    });
    beforeEach(async function () {
      temp = await backend.open();
      f = await seedFinance(temp.store);
    });
    afterEach(async function () {
      await temp?.cleanup();
    });

    const order = () => ({
      orderId: 'order-3003',
      customerEmail: 'alice@example.com',
      paymentAccount: f.accounts.alice,
      merchantAccount: f.accounts.merchant,
      items: [{ sku: f.skus.widget, quantity: 3 }],
      shippingAddress: '3 Elm Street, Ogdenville',
    });

    it('a payment whose reply was lost three times leaves exactly one ledger posting', async function () {
      const r = await runFinance(temporal, temp.store, orderFulfillment, order(), {
        idPrefix: 'order-3003',
        faults: { chargePayment: { kind: 'lost-ack', times: 3 } },
      });
      assert.ok(r.result, String(r.error));
      assert.equal(stepOf(r, 'chargePayment').attempts, 4);
      const key = runKeyOf(r.record, OrderStep.chargePayment);
      const legs = await temp.store.all<{ account_id: string; amount: number | string }>(
        'SELECT account_id, amount FROM bank_ledger WHERE key = ? ORDER BY amount',
        [key],
      );
      assert.deepEqual(
        legs.map((l) => [l.account_id, Number(l.amount)]),
        [
          [f.accounts.alice, -3 * 1_250],
          [f.accounts.merchant, 3 * 1_250],
        ],
      );
      assertVerified(r);
    });

    it('an order pushed through many transient failures and lost replies applies each step once', async function () {
      // Every step: 3 transient failures before the effect, then 2 lost replies after it.
      const rough: FaultSpec[] = [
        { kind: 'transient', times: 3 },
        { kind: 'lost-ack', times: 2 },
      ];
      const faults: FaultPlan = { reserveInventory: rough, chargePayment: rough, createShipment: rough, notifyCustomer: rough };
      const r = await runFinance(temporal, temp.store, orderFulfillment, order(), { idPrefix: 'order-3003', faults });
      assert.ok(r.result, String(r.error));
      for (const step of Object.keys(faults)) assert.equal(stepOf(r, step).attempts, 6, `${step} took 6 attempts`);
      assert.deepEqual(
        {
          reservations: await rowsFor(temp.store, 'inventory_reservations', runKeyOf(r.record, OrderStep.reserveInventory)),
          chargeLegs: await rowsFor(temp.store, 'bank_ledger', runKeyOf(r.record, OrderStep.chargePayment)),
          shipments: await rowsFor(temp.store, 'shipments', runKeyOf(r.record, OrderStep.createShipment)),
          messages: await rowsFor(temp.store, 'notifications', runKeyOf(r.record, OrderStep.notifyCustomer)),
        },
        { reservations: 1, chargeLegs: 2, shipments: 1, messages: 1 },
      );
      const keys = await temp.store.all<{ key: string }>('SELECT key FROM steadfast_idempotency WHERE key LIKE ? ORDER BY key', [`${runKeyPrefix(r.record)}%`]);
      assert.equal(keys.length, 4, 'one recorded key per step');
      assertVerified(r);
    });

    it('a transfer pushed through many transient failures and lost replies moves the money once', async function () {
      const rough: FaultSpec[] = [
        { kind: 'transient', times: 4 },
        { kind: 'lost-ack', times: 3 },
      ];
      const r = await runFinance(
        temporal,
        temp.store,
        moneyTransfer,
        { transferId: 'tx-88', fromAccount: f.accounts.alice, toAccount: f.accounts.bob, amount: 2_000 },
        { idPrefix: 'transfer-tx-88', faults: { withdraw: rough, deposit: rough } },
      );
      assert.ok(r.result, String(r.error));
      assert.equal(await rowsFor(temp.store, 'bank_ledger', runKeyOf(r.record, TransferStep.withdraw)), 2);
      assert.equal(await rowsFor(temp.store, 'bank_ledger', runKeyOf(r.record, TransferStep.deposit)), 2);
      assertVerified(r);
      assert.equal(r.report.stats.totalBalance, f.seededTotal);
    });
  });
}
