/**
 * `moneyTransfer` on the time-skipping test server with a real SQLite store. Every case, whatever
 * happens, must conserve money: the sum of all balances equals the seeded total.
 */
import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { balances, CLEARING_ACCOUNT } from '../activities/bank';
import { SimulatedFaultType } from '../src/activity/fault-injection';
import { seedFinance, type FinanceFixture } from '../activities/finance-seed';
import type { EffectStore } from '../src/activity/store';
import { moneyTransfer } from '../workflows';
import { RejectionType } from '../contracts/rejections';
import { SAGA_COMPENSATION_FAILED } from 'steadfast/workflow';
import type { FaultPlan } from '../src/common/fault-plan';
import { TransferStep } from '../contracts/finance-steps';
import type { MoneyTransferInput } from '../workflows/money-transfer';
import { serviceCall } from '../src/workflow/options';
import {
  assertFailedWith,
  assertVerified,
  cancelOnceLanded,
  compensationOutcomes,
  runFinance,
  timeSkippingServerForSuite,
  type FinishedRun,
  type RunOptions,
} from './finance-harness';
import { tempSqliteStore } from './helpers';
import { type TemporalHandle } from 'steadfast/testing';

const AMOUNT = 12_345;

describe('moneyTransfer on the time-skipping server', function () {
  const server = timeSkippingServerForSuite();
  let store: EffectStore;
  let cleanup: () => Promise<void>;
  let f: FinanceFixture;

  /**
   * A case on a fresh seeded store. Whatever the case did, money is conserved: checked inside the
   * case, so a failure names it; the store is removed whatever happens.
   */
  function itConserves(title: string, body: (this: Mocha.Context) => Promise<void>): void {
    it(title, async function () {
      ({ store, cleanup } = await tempSqliteStore());
      try {
        f = await seedFinance(store);
        await body.call(this);
        const total = Object.values(await balances(store)).reduce((a, b) => a + b, 0);
        assert.equal(total, f.seededTotal, 'the sum of all balances changed');
      } finally {
        await cleanup();
      }
    });
  }

  function transfer(overrides: Partial<MoneyTransferInput> = {}): MoneyTransferInput {
    return { transferId: 'tx-77', fromAccount: f.accounts.alice, toAccount: f.accounts.bob, amount: AMOUNT, ...overrides };
  }
  const run = (input: MoneyTransferInput, opts: RunOptions = {}, temporal: TemporalHandle = server.temporal) =>
    runFinance(temporal, store, moneyTransfer, input, { idPrefix: 'transfer-tx-77', ...opts });

  async function assertUnchanged(): Promise<void> {
    const b = await balances(store);
    assert.deepEqual(
      [b[f.accounts.alice], b[f.accounts.bob], b[CLEARING_ACCOUNT]],
      [100_000, 50_000, 0],
      'alice, bob and clearing are back to their opening balances',
    );
  }

  itConserves('moves the money: withdraw, then deposit, nothing in transit', async function () {
    const r = await run(transfer());
    assert.ok(r.result, String(r.error));
    assert.deepEqual(r.steps, ['withdraw', 'deposit']);
    assert.deepEqual(r.compensations, []);
    const b = await balances(store);
    assert.deepEqual([b[f.accounts.alice], b[f.accounts.bob], b[CLEARING_ACCOUNT]], [100_000 - AMOUNT, 50_000 + AMOUNT, 0]);
    assertVerified(r);
  });

  /** Cases that must end with the transfer fully reversed. */
  const reversed: {
    title: string;
    input?: (f: FinanceFixture) => Partial<MoneyTransferInput>;
    faults?: FaultPlan;
    check: (r: FinishedRun<unknown>) => void | Promise<void>;
    compensations: string[];
  }[] = [
    {
      title: 'insufficient funds: rejected at withdraw, nothing to reverse',
      input: () => ({ amount: 100_001 }),
      check: (r) => void assertFailedWith(r, RejectionType.insufficientFunds),
      compensations: ['reverseWithdrawal'],
    },
    {
      title: 'invalid destination account: rejected at deposit, the withdrawal is reversed',
      input: () => ({ toAccount: 'acct-nobody' }),
      check: async (r) => {
        assertFailedWith(r, RejectionType.invalidAccount);
        assert.deepEqual(await compensationOutcomes(store, r.record), {
          [TransferStep.deposit]: 'nothing-to-undo',
          [TransferStep.withdraw]: 'undone',
        });
      },
      compensations: ['reverseDeposit', 'reverseWithdrawal'],
    },
    {
      title: 'frozen destination account: rejected at deposit, the withdrawal is reversed',
      input: (f) => ({ toAccount: f.accounts.carol }),
      check: (r) => void assertFailedWith(r, RejectionType.accountFrozen),
      compensations: ['reverseDeposit', 'reverseWithdrawal'],
    },
    {
      title: 'deposit fails permanently: the withdrawal is reversed',
      faults: { deposit: { kind: 'permanent' } },
      check: (r) => void assertFailedWith(r, SimulatedFaultType.permanent),
      compensations: ['reverseDeposit', 'reverseWithdrawal'],
    },
    {
      title: 'deposit timed out after it landed: both halves are reversed',
      faults: { deposit: [{ kind: 'lost-ack', times: serviceCall.retry.maximumAttempts - 1 }, { kind: 'hang-after-effect', times: 1 }] },
      check: async (r) => {
        assert.equal(r.trail.find((s) => s.name === 'deposit')?.outcome, 'timed-out');
        assert.deepEqual(await compensationOutcomes(store, r.record), {
          [TransferStep.deposit]: 'undone',
          [TransferStep.withdraw]: 'undone',
        });
      },
      compensations: ['reverseDeposit', 'reverseWithdrawal'],
    },
    {
      title: 'transient failures of a reversal are retried until it succeeds',
      faults: { deposit: { kind: 'permanent' }, reverseWithdrawal: { kind: 'transient', times: 4 } },
      check: (r) => {
        const reversal = r.trail.find((s) => s.name === 'reverseWithdrawal');
        assert.deepEqual([reversal?.outcome, reversal?.attempts], ['completed', 5]);
      },
      compensations: ['reverseDeposit', 'reverseWithdrawal'],
    },
    {
      title: 'parallel compensation reverses a landed deposit and the withdrawal at once',
      input: () => ({ compensation: 'parallel' }),
      faults: { deposit: { kind: 'lost-ack', times: serviceCall.retry.maximumAttempts } },
      check: (r) => {
        const batches = new Set(
          r.events
            .filter((e) => ['reverseDeposit', 'reverseWithdrawal'].includes(e.activityTaskScheduledEventAttributes?.activityType?.name ?? ''))
            .map((e) => String(e.activityTaskScheduledEventAttributes?.workflowTaskCompletedEventId)),
        );
        assert.equal(batches.size, 1, 'both reversals were scheduled by one workflow task');
      },
      compensations: ['reverseDeposit', 'reverseWithdrawal'],
    },
  ];

  for (const c of reversed) {
    itConserves(`${c.title}; money conserved`, async function () {
      const r = await run(transfer(c.input?.(f)), { faults: c.faults });
      assert.ok(r.error instanceof WorkflowFailedError, `expected the transfer to fail, got ${JSON.stringify(r.result)}`);
      assert.deepEqual(r.compensations, c.compensations);
      await c.check(r);
      await assertUnchanged();
      assertVerified(r);
    });
  }

  itConserves('a reversal that fails for good is reported with the original failure; the money waits in clearing', async function () {
    const r = await run(transfer(), { faults: { deposit: { kind: 'permanent' }, reverseWithdrawal: { kind: 'permanent' } } });
    assert.ok(r.error instanceof WorkflowFailedError && r.error.cause instanceof ApplicationFailure);
    assert.equal(r.error.cause.type, SAGA_COMPENSATION_FAILED);
    assert.match(r.error.cause.message, /reverseWithdrawal \(undoing withdraw\)/);
    assert.match(r.error.cause.message, /permanent fault before the effect in deposit/);
    const b = await balances(store);
    assert.deepEqual([b[f.accounts.alice], b[f.accounts.bob], b[CLEARING_ACCOUNT]], [100_000 - AMOUNT, 50_000, AMOUNT]);
    assertVerified(r);
    assert.deepEqual(r.report.unresolved.map((u) => u.check).sort(), ['money-in-transit', 'run-inconsistent']);
  });

  describe('cancellation', function () {
    // A cancelled attempt that still hangs holds the time-skipping clock until its timeout: own server.
    const own = timeSkippingServerForSuite();

    itConserves('cancelling after the deposit landed, before its reply, reverses both halves and ends cancelled', async function () {
      const r = await run(transfer(), {
        faults: { deposit: { kind: 'hang-after-effect', times: 1 } },
        whileRunning: cancelOnceLanded(store, 'bank_ledger', TransferStep.deposit),
      }, own.temporal);
      assert.ok(r.error instanceof WorkflowFailedError && r.error.cause instanceof CancelledFailure, String(r.error));
      assert.equal(r.record.status, 'CANCELLED');
      assert.deepEqual(r.compensations, ['reverseDeposit', 'reverseWithdrawal']);
      assert.deepEqual(await compensationOutcomes(store, r.record), {
        [TransferStep.deposit]: 'undone',
        [TransferStep.withdraw]: 'undone',
      });
      await assertUnchanged();
      assertVerified(r);
    });
  });
});
