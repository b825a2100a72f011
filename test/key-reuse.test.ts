/**
 * Keys belong to one logical run. A run started with a workflow id that an earlier, closed run
 * used, through the plain SDK client (no Steadfast start options, as the `temporal` CLI, the Web
 * UI or a schedule would start it), can never undo, repeat or return the earlier run's effects,
 * whatever its input; a reset run gets its own run's effects back and applies nothing twice.
 * On a dev server (resets need one) and on both stores.
 */
import assert from 'node:assert/strict';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { Worker } from '@temporalio/worker';
import { createBankActivities } from '../activities/bank';
import { sampleOrder, seedFinance, type FinanceFixture } from '../activities/finance-seed';
import type { EffectStore } from '../src/activity/store';
import { verifyStore, type RunRecord } from '../activities/verify';
import { runKeyOf } from '../src/common/idempotency-key';
import { runRecordOf } from '../src/client/run-record';
import { startDevServer, type TemporalHandle } from '../src/platform/servers';
import { runStepKey } from '../src/common/idempotency-key';
import { workflowStartOptions } from '../src/common/failover';
import { referenceWorker } from './reference-worker';
import { moneyTransfer, orderFulfillment } from '../workflows';
import { RejectionType } from '../contracts/rejections';
import { TransferStep } from '../contracts/finance-steps';
import type { MoneyTransferInput } from '../workflows/money-transfer';
import type { OrderFulfillmentInput } from '../workflows/order-fulfillment';
import { uniqueId } from './helpers';
import { storeBackends, type TempStore } from './stores';

/** Everything a run can change, read row by row. */
async function snapshot(store: EffectStore) {
  const rows = (sql: string) => store.all<Record<string, unknown>>(sql).then((r) => r.map((row) => JSON.stringify(row)));
  return {
    balances: await rows('SELECT id, balance FROM bank_accounts ORDER BY id'),
    payments: await rows('SELECT id, key, account_id, amount, kind, ref FROM bank_ledger ORDER BY id'),
    stock: await rows('SELECT sku, available, received FROM inventory_items ORDER BY sku'),
    reservations: await rows('SELECT id, key, order_id, items, amount, status, updated_at FROM inventory_reservations ORDER BY id'),
    shipments: await rows('SELECT id, key, order_id, address, status, updated_at FROM shipments ORDER BY id'),
    notifications: await rows('SELECT id, key, recipient, body, kind, ref FROM notifications ORDER BY id'),
  };
}

/** The ApplicationFailure type a run failed with (through the activity failure), or undefined if it completed. */
async function outcomeOf(handle: WorkflowHandle): Promise<{ result?: unknown; failureType?: string }> {
  try {
    return { result: await handle.result() };
  } catch (err) {
    assert.ok(err instanceof WorkflowFailedError, String(err));
    const inner = err.cause instanceof ActivityFailure ? err.cause.cause : err.cause;
    return { failureType: inner instanceof ApplicationFailure ? (inner.type ?? undefined) : inner?.name };
  }
}

/** Resets a closed run to its first workflow task, so the new run runs every step again. */
async function resetToStart(temporal: TemporalHandle, handle: WorkflowHandle): Promise<WorkflowHandle> {
  const events = (await handle.fetchHistory()).events ?? [];
  const first = events.find((e) => e.workflowTaskCompletedEventAttributes);
  assert.ok(first, 'the run completed a workflow task');
  const { runId } = await temporal.client.workflowService.resetWorkflowExecution({
    namespace: temporal.namespace,
    workflowExecution: { workflowId: handle.workflowId, runId: (await handle.describe()).runId },
    workflowTaskFinishEventId: first.eventId,
    requestId: uniqueId('reset'),
    reason: 'key-reuse test',
  });
  return temporal.client.workflow.getHandle(handle.workflowId, runId ?? undefined);
}

describe('a reused workflow id never touches an earlier run’s effects', function () {
  let temporal: TemporalHandle;
  before(async function () {
    temporal = await startDevServer();
  });
  after(async function () {
    await temporal?.close().catch((err) => console.error('server teardown failed:', err));
  });

  for (const backend of storeBackends) {
    describe(`on ${backend.name}`, function () {
      let temp: TempStore;
      let worker: Worker;
      let running: Promise<void>;
      const taskQueue = uniqueId('key-reuse');

      before(async function () {
        backend.require(this);
        temp = await backend.open();
        worker = await referenceWorker({ connection: temporal.nativeConnection, namespace: temporal.namespace, taskQueue, store: temp.store });
        running = worker.run();
      });
      after(async function () {
        if (worker?.getState() === 'RUNNING') worker.shutdown();
        await running?.catch((err) => console.error('worker failed:', err));
        await temp?.cleanup();
      });

      /** Starts like the `temporal` CLI: the plain client, no Steadfast start options, so the id may be reused. */
      const startPlain = <I>(workflow: (input: I) => Promise<unknown>, workflowId: string, input: I) =>
        temporal.client.workflow.start(workflow, { taskQueue, workflowId, args: [input] });

      async function assertReuseChangesNothing<I>(
        workflow: (input: I) => Promise<unknown>,
        first: I,
        second: I,
        idPrefix: string,
      ): Promise<{ firstRun: RunRecord; secondRun: RunRecord; secondOutcome: { result?: unknown; failureType?: string } }> {
        const workflowId = uniqueId(idPrefix);
        const one = await startPlain(workflow, workflowId, first);
        assert.ok((await outcomeOf(one)).result, 'the first run completes');
        const before = await snapshot(temp.store);
        const two = await startPlain(workflow, workflowId, second);
        assert.notEqual(two.firstExecutionRunId, one.firstExecutionRunId, 'the plain client started a second run under the same id');
        const secondOutcome = await outcomeOf(two);
        assert.deepEqual(await snapshot(temp.store), before, 'balances, stock, reservations, shipments and payments are as the first run left them');
        const firstRun = await runRecordOf(temporal.client.workflow.getHandle(workflowId, one.firstExecutionRunId));
        const secondRun = await runRecordOf(temporal.client.workflow.getHandle(workflowId, two.firstExecutionRunId));
        assert.equal(firstRun.status, 'COMPLETED');
        const report = await verifyStore(temp.store, { runs: [firstRun, secondRun] });
        assert.deepEqual(report.violations, [], 'verifyStore finds nothing wrong');
        return { firstRun, secondRun, secondOutcome };
      }

      describe('moneyTransfer', function () {
        let f: FinanceFixture;
        const transfer = (overrides: Partial<MoneyTransferInput> = {}): MoneyTransferInput => ({
          transferId: uniqueId('tx'),
          fromAccount: f.accounts.alice,
          toAccount: f.accounts.bob,
          amount: 1_000,
          ...overrides,
        });
        beforeEach(async function () {
          f = await seedFinance(temp.store, uniqueId('reuse'));
        });

        for (const [title, change] of [
          ['another amount', (): Partial<MoneyTransferInput> => ({ amount: 2_500 })],
          ['another payee', (): Partial<MoneyTransferInput> => ({ toAccount: f.accounts.merchant })],
          ['the same input', (): Partial<MoneyTransferInput> => ({})],
        ] as const) {
          it(`the same id again with ${title}: refused, and nothing moves`, async function () {
            const first = transfer();
            const { secondOutcome } = await assertReuseChangesNothing(moneyTransfer, first, { ...first, ...change() }, 'transfer');
            assert.equal(secondOutcome.failureType, RejectionType.alreadySubmitted, 'the bank runs a transfer id once');
          });
        }

        it('a reset run gets its first run’s effects back and applies nothing twice', async function () {
          const handle = await startPlain(moneyTransfer, uniqueId('transfer'), transfer());
          const result = await handle.result();
          const before = await snapshot(temp.store);
          const reset = await resetToStart(temporal, handle);
          assert.deepEqual(await reset.result(), result, 'the same withdrawal and deposit ids: the recorded effects');
          assert.deepEqual(await snapshot(temp.store), before);
          const record = await runRecordOf(reset);
          assert.equal(record.firstExecutionRunId, handle.firstExecutionRunId, 'a reset keeps the first execution’s run id');
          assert.deepEqual((await verifyStore(temp.store, { runs: [record] })).violations, []);
        });

      });

      describe('orderFulfillment', function () {
        let f: FinanceFixture;
        const order = (overrides: Partial<OrderFulfillmentInput> = {}) => sampleOrder(f, uniqueId('order'), overrides);
        beforeEach(async function () {
          f = await seedFinance(temp.store, uniqueId('reuse'));
        });

        for (const [title, change] of [
          ['another quantity', (o: OrderFulfillmentInput): Partial<OrderFulfillmentInput> => ({ items: [{ ...o.items[0], quantity: 3 }, o.items[1]] })],
          ['another address', (): Partial<OrderFulfillmentInput> => ({ shippingAddress: '9 Elm Street, Capital City' })],
          ['the same input', (): Partial<OrderFulfillmentInput> => ({})],
        ] as const) {
          it(`the same id again with ${title}: refused, and nothing moves`, async function () {
            const first = order();
            const { secondOutcome } = await assertReuseChangesNothing(orderFulfillment, first, { ...first, ...change(first) }, 'order');
            assert.equal(secondOutcome.failureType, RejectionType.alreadySubmitted, 'the warehouse reserves for an order id once');
          });
        }

        it('a reset run gets its first run’s effects back and applies nothing twice', async function () {
          const handle = await startPlain(orderFulfillment, uniqueId('order'), order());
          const result = await handle.result();
          const before = await snapshot(temp.store);
          const reset = await resetToStart(temporal, handle);
          assert.deepEqual(await reset.result(), result, 'the same reservation, payment, shipment and notification');
          assert.deepEqual(await snapshot(temp.store), before);
          assert.deepEqual((await verifyStore(temp.store, { runs: [await runRecordOf(reset)] })).violations, []);
        });
      });

      // Nested, so they run after the suites above (mocha runs a suite's own tests first).
      describe('afterwards', function () {
        it('Steadfast’s start options refuse a duplicate id outright', async function () {
          const f = await seedFinance(temp.store, uniqueId('reuse'));
          const workflowId = uniqueId('transfer');
          const input: MoneyTransferInput = { transferId: uniqueId('tx'), fromAccount: f.accounts.alice, toAccount: f.accounts.bob, amount: 500 };
          const start = () => temporal.client.workflow.start(moneyTransfer, { taskQueue, workflowId, args: [input], ...workflowStartOptions() });
          await (await start()).result();
          await assert.rejects(start(), WorkflowExecutionAlreadyStartedError);
        });

        // Last: it leaves the store broken on purpose.
        it('verifyStore reports a completed transfer whose deposit another run undid', async function () {
          const f = await seedFinance(temp.store, uniqueId('reuse'));
          const transfer = (): MoneyTransferInput => ({ transferId: uniqueId('tx'), fromAccount: f.accounts.alice, toAccount: f.accounts.bob, amount: 1_000 });
          const handle = await startPlain(moneyTransfer, uniqueId('transfer'), transfer());
          await handle.result();
          const record = await runRecordOf(handle);
          // What reused keys used to allow: another run's compensation reversing this run's deposit.
          const intruder = { namespace: temporal.namespace, workflowId: handle.workflowId, firstExecutionRunId: 'another-run' };
          await createBankActivities(temp.store).reverseDeposit({
            key: runStepKey(intruder, TransferStep.reverseDeposit),
            depositKey: runKeyOf(record, TransferStep.deposit),
          });
          const report = await verifyStore(temp.store, { runs: [record] });
          const checks = report.violations.map((v) => v.check);
          assert.ok(checks.includes('run-inconsistent'), JSON.stringify(report.violations));
          assert.ok(checks.includes('compensated-by-another-run'), JSON.stringify(report.violations));
        });
      });
    });
  }
});
