/**
 * `orderFulfillment` and the saga semantics, on the time-skipping test server with a real SQLite
 * store. Each test asserts the store's final state and the compensation order read from history.
 */
import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, CancelledFailure, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { temporal as proto } from '@temporalio/proto';
import { balances } from '../activities/bank';
import { sampleOrder, seedFinance, type FinanceFixture } from '../activities/finance-seed';
import { stockLevels } from '../activities/inventory';
import type { EffectStore } from '../src/activity/store';
import { SimulatedFaultType } from '../src/activity/fault-injection';
import type { TemporalHandle } from '../src/platform/servers';
import { runKeyOf } from '../src/common/idempotency-key';
import { orderFulfillment } from '../workflows';
import { RejectionType } from '../contracts/rejections';
import { SAGA_COMPENSATION_FAILED } from 'steadfast/workflow';
import { OrderStep } from '../contracts/finance-steps';
import type { OrderFulfillmentInput } from '../workflows/order-fulfillment';
import { serviceCall } from '../src/workflow/options';
import type { SagaCompensationFailedDetails } from '../src/workflow/saga';
import {
  assertFailedWith,
  assertVerified,
  compensationOutcomes,
  runFinance,
  timeSkippingServerForSuite,
  cancelOnceLanded,
  stepOf,
  type RunOptions,
} from './finance-harness';
import { tempSqliteStore } from './helpers';

const STEPS = ['reserveInventory', 'chargePayment', 'createShipment', 'notifyCustomer'] as const;
const UNDO: Record<(typeof STEPS)[number], string> = {
  reserveInventory: 'releaseInventory',
  chargePayment: 'refundPayment',
  createShipment: 'cancelShipment',
  notifyCustomer: 'retractNotification',
};
/** Step key suffixes, in step order. */
const KEYS = [OrderStep.reserveInventory, OrderStep.chargePayment, OrderStep.createShipment, OrderStep.notifyCustomer];

/** 2 widgets (12.50) + 1 gadget (49.99). */
const AMOUNT = 2 * 1_250 + 4_999;

describe('orderFulfillment on the time-skipping server', function () {
  const server = timeSkippingServerForSuite();
  let store: EffectStore;
  let cleanup: () => Promise<void>;
  let f: FinanceFixture;

  beforeEach(async function () {
    ({ store, cleanup } = await tempSqliteStore());
    f = await seedFinance(store);
  });
  afterEach(async function () {
    await cleanup?.();
  });

  const order = (overrides: Partial<OrderFulfillmentInput> = {}) => sampleOrder(f, 'order-1001', overrides);

  const run = (input: OrderFulfillmentInput, opts: RunOptions = {}, temporal: TemporalHandle = server.temporal) =>
    runFinance(temporal, store, orderFulfillment, input, { idPrefix: 'order-1001', ...opts });

  /** The store as it was seeded: no money moved, all stock on the shelf, nothing live. */
  async function assertNothingLeft(): Promise<void> {
    const b = await balances(store);
    assert.equal(b[f.accounts.alice], 100_000, "alice's money is back");
    assert.equal(b[f.accounts.merchant], 0, 'the shop kept nothing');
    const stock = await stockLevels(store);
    assert.equal(stock[f.skus.widget].available, 10);
    assert.equal(stock[f.skus.gadget].available, 3);
    const live = await store.all("SELECT id FROM shipments WHERE status = 'created'");
    assert.deepEqual(live, [], 'no live shipment');
    const messages = await store.all<{ kind: string }>('SELECT kind FROM notifications ORDER BY created_at');
    assert.ok(
      messages.length === 0 || (messages.length === 2 && messages[1].kind === 'correction'),
      `no uncorrected message (${JSON.stringify(messages)})`,
    );
  }

  it('fulfils an order: every step once, no compensation, the store consistent', async function () {
    const r = await run(order());
    assert.ok(r.result, `the order failed: ${String(r.error)}`);
    assert.deepEqual(r.steps, [...STEPS]);
    assert.deepEqual(r.compensations, []);
    assert.equal(r.result.amount, AMOUNT);
    const b = await balances(store);
    assert.equal(b[f.accounts.alice], 100_000 - AMOUNT);
    assert.equal(b[f.accounts.merchant], AMOUNT);
    const stock = await stockLevels(store);
    assert.equal(stock[f.skus.widget].available, 8);
    assert.equal(stock[f.skus.gadget].available, 2);
    const shipment = await store.get<{ status: string; tracking_number: string }>('SELECT status, tracking_number FROM shipments');
    assert.deepEqual(shipment, { status: 'created', tracking_number: r.result.trackingNumber });
    const [message] = await store.all<{ recipient: string; body: string }>('SELECT recipient, body FROM notifications');
    assert.equal(message.recipient, 'alice@example.com');
    assert.match(message.body, new RegExp(r.result.trackingNumber));
    assertVerified(r);
    assert.equal(r.record.status, 'COMPLETED');
    assert.deepEqual(r.faults, { count: 0, kinds: [], compensated: false }, 'nothing to find for steadfast faults');
  });

  for (const [k, failing] of STEPS.entries()) {
    it(`a permanent failure at step ${k + 1} (${failing}) compensates steps ${k + 1}..1 in reverse order`, async function () {
      const r = await run(order(), { faults: { [failing]: { kind: 'permanent' } } });
      assertFailedWith(r, SimulatedFaultType.permanent);
      assert.deepEqual(r.steps, STEPS.slice(0, k + 1));
      assert.deepEqual(
        r.compensations,
        STEPS.slice(0, k + 1)
          .reverse()
          .map((s) => UNDO[s]),
      );
      // The failing step was compensated too (registered before it ran), and found nothing to undo.
      const outcomes = await compensationOutcomes(store, r.record);
      assert.deepEqual(outcomes, Object.fromEntries(KEYS.slice(0, k + 1).map((key, i) => [key, i === k ? 'nothing-to-undo' : 'undone'])));
      await assertNothingLeft();
      assertVerified(r);
      assert.deepEqual(r.faults, { count: 1, kinds: ['activity-failed', 'compensated'], compensated: true });
    });
  }

  it('a business rejection (OutOfStock) fails the order, non-retried, with nothing to undo', async function () {
    const r = await run(order({ items: [{ sku: f.skus.gadget, quantity: 4 }] }));
    const failure = assertFailedWith(r, RejectionType.outOfStock);
    assert.deepEqual(failure.details?.[0], { sku: f.skus.gadget, requested: 4, available: 3 });
    assert.equal(stepOf(r, 'reserveInventory').attempts, 1, 'a rejection is not retried');
    assert.deepEqual(r.compensations, ['releaseInventory']);
    await assertNothingLeft();
    assertVerified(r);
  });

  it('a declined card (CardDeclined) releases the reserved stock', async function () {
    const r = await run(order({ paymentAccount: f.accounts.carol }));
    assertFailedWith(r, RejectionType.cardDeclined);
    assert.deepEqual(r.compensations, ['refundPayment', 'releaseInventory']);
    assert.equal((await balances(store))[f.accounts.carol], 30_000);
    await assertNothingLeft();
    assertVerified(r);
  });

  it('bad input fails the run with InvalidRequest naming the fields, before any step', async function () {
    const r = await run(order({ customerEmail: 'nobody', items: [{ sku: f.skus.widget, quantity: 0 }] }));
    assert.ok(r.error instanceof WorkflowFailedError);
    const failure = r.error.cause;
    assert.ok(failure instanceof ApplicationFailure);
    assert.equal(failure.type, RejectionType.invalidRequest);
    assert.match(failure.message, /customerEmail: expected an email address/);
    assert.match(failure.message, /items\.0\.quantity: expected a positive quantity/);
    assert.deepEqual(r.steps, []);
    await assertNothingLeft();
  });

  it('a payment that timed out after its effect landed is refunded (final attempt timed out, effect already landed)', async function () {
    // Attempt 1 charges and its reply is lost; attempts 2–9 get the recorded result and lose it too;
    // the last attempt hangs after the (replayed) effect, so the step ends timed out with its effect landed.
    const last = serviceCall.retry.maximumAttempts;
    const r = await run(order(), {
      faults: { chargePayment: [{ kind: 'lost-ack', times: last - 1 }, { kind: 'hang-after-effect', times: 1 }] },
    });
    assert.ok(r.error instanceof WorkflowFailedError && r.error.cause instanceof ActivityFailure);
    assert.ok(r.error.cause.cause instanceof TimeoutFailure, `expected a timeout, got ${String(r.error.cause.cause)}`);
    assert.equal(r.error.cause.cause.timeoutType, TimeoutType.START_TO_CLOSE);
    assert.equal(stepOf(r, 'chargePayment').outcome, 'timed-out');
    const timedOut = r.events.find((e) => e.activityTaskTimedOutEventAttributes)?.activityTaskTimedOutEventAttributes;
    assert.equal(timedOut?.retryState, proto.api.enums.v1.RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED, 'every attempt was used');
    assert.deepEqual(r.compensations, ['refundPayment', 'releaseInventory']);
    const outcomes = await compensationOutcomes(store, r.record);
    assert.equal(outcomes[OrderStep.chargePayment], 'undone', 'the charge had landed, and was refunded');
    const charges = await store.all('SELECT id FROM bank_ledger WHERE key = ?', [runKeyOf(r.record, OrderStep.chargePayment)]);
    assert.equal(charges.length, 2, `charged once (two legs) despite ${last} attempts`);
    await assertNothingLeft();
    assertVerified(r);
  });

  it('a shipment whose replies were all lost is cancelled (lost-ack, retries exhausted)', async function () {
    const r = await run(order(), { faults: { createShipment: { kind: 'lost-ack', times: 10 } } });
    assertFailedWith(r, SimulatedFaultType.lostAck);
    assert.equal(stepOf(r, 'createShipment').attempts, 10);
    assert.deepEqual(r.compensations, ['cancelShipment', 'refundPayment', 'releaseInventory']);
    assert.equal((await compensationOutcomes(store, r.record))[OrderStep.createShipment], 'undone');
    assert.equal((await store.all('SELECT id FROM shipments')).length, 1, 'one shipment, created once, then cancelled');
    await assertNothingLeft();
    assertVerified(r);
  });

  it('retries a transiently failing compensation until it succeeds', async function () {
    const r = await run(order(), {
      faults: { notifyCustomer: { kind: 'permanent' }, refundPayment: { kind: 'transient', times: 3 } },
    });
    assertFailedWith(r, SimulatedFaultType.permanent);
    assert.deepEqual(r.compensations, ['retractNotification', 'cancelShipment', 'refundPayment', 'releaseInventory']);
    const refund = stepOf(r, 'refundPayment');
    assert.deepEqual([refund.outcome, refund.attempts], ['completed', 4]);
    await assertNothingLeft();
    assertVerified(r);
  });

  it('reports a permanently failing compensation together with the original failure, and still runs the others', async function () {
    const r = await run(order(), { faults: { createShipment: { kind: 'permanent' }, refundPayment: { kind: 'permanent' } } });
    assert.ok(r.error instanceof WorkflowFailedError);
    const failure = r.error.cause;
    assert.ok(failure instanceof ApplicationFailure, String(failure));
    assert.equal(failure.type, SAGA_COMPENSATION_FAILED);
    assert.match(failure.message, /refundPayment \(undoing charge payment\)/);
    // The original failure is the cause, intact.
    assert.ok(failure.cause instanceof ActivityFailure);
    assert.ok(failure.cause.cause instanceof ApplicationFailure);
    assert.equal(failure.cause.cause.type, SimulatedFaultType.permanent);
    const details = failure.details?.[0] as SagaCompensationFailedDetails;
    assert.deepEqual(
      details.compensations.map((c) => [c.activity, c.status, c.failure?.type]),
      [
        ['cancelShipment', 'succeeded', undefined],
        ['refundPayment', 'failed', SimulatedFaultType.permanent],
        ['releaseInventory', 'succeeded', undefined],
      ],
    );
    assert.equal(details.original.type, SimulatedFaultType.permanent);
    assert.deepEqual(r.compensations, ['cancelShipment', 'refundPayment', 'releaseInventory']);
    // The charge stays (its refund failed); everything else was undone; verify reports it, unresolved.
    const b = await balances(store);
    assert.equal(b[f.accounts.alice], 100_000 - AMOUNT);
    assert.equal((await stockLevels(store))[f.skus.gadget].available, 3);
    assert.deepEqual(r.record.failedCompensations, ['refundPayment']);
    assertVerified(r);
    assert.deepEqual(
      r.report.unresolved.map((u) => u.message),
      ['step charge-payment is still applied: its compensation refundPayment failed and the run reported it'],
    );
    // createShipment and refundPayment failed for good, and one compensation failed.
    assert.deepEqual(r.faults, { count: 3, kinds: ['activity-failed', 'compensated', 'compensation-failed'], compensated: true });
  });

  it('compensates in parallel when asked: all compensations scheduled at once', async function () {
    const r = await run(order({ compensation: 'parallel' }), { faults: { notifyCustomer: { kind: 'permanent' } } });
    assertFailedWith(r, SimulatedFaultType.permanent);
    const scheduled = r.events.filter((e) => {
      const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
      return name && Object.values(UNDO).includes(name);
    });
    assert.equal(scheduled.length, 4);
    const batches = new Set(scheduled.map((e) => String(e.activityTaskScheduledEventAttributes?.workflowTaskCompletedEventId)));
    assert.equal(batches.size, 1, 'all four were scheduled by the same workflow task');
    assert.ok(r.trail.filter((s) => Object.values(UNDO).includes(s.name)).every((s) => s.outcome === 'completed'));
    await assertNothingLeft();
    assertVerified(r);
  });

  describe('cancellation', function () {
    // A cancelled attempt that still hangs holds the time-skipping clock until its timeout: own server.
    const own = timeSkippingServerForSuite();

    it('cancelling mid-run compensates the completed steps and the one in flight, and the run ends cancelled', async function () {
      const r = await run(order(), {
        faults: { createShipment: { kind: 'hang-after-effect', times: 1 } },
        // Cancel once the shipment has landed but before its reply: the in-flight step is undone too.
        whileRunning: cancelOnceLanded(store, 'shipments', OrderStep.createShipment),
      }, own.temporal);
      assert.ok(r.error instanceof WorkflowFailedError && r.error.cause instanceof CancelledFailure, `expected a cancellation, got ${String(r.error)}`);
      assert.equal(r.record.status, 'CANCELLED');
      assert.ok(r.trail.some((s) => s.kind === 'cancel-requested'));
      assert.deepEqual(r.compensations, ['cancelShipment', 'refundPayment', 'releaseInventory']);
      assert.equal((await compensationOutcomes(store, r.record))[OrderStep.createShipment], 'undone');
      await assertNothingLeft();
      assertVerified(r);
      // A cancelled activity is not a fault, but the run was compensated: steadfast faults finds it.
      assert.deepEqual(r.faults, { count: 0, kinds: ['compensated'], compensated: true });
    });
  });
});
