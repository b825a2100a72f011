/**
 * The finance sagas under chaos: `orderFulfillment` and `moneyTransfer`.
 *
 * **Which activities get faults: the forward steps and their compensations.** A compensation is an
 * activity like any other (run at least once, retried, killed with its worker), and it is where a
 * double refund or a late undo would show: a lost reply on `refundPayment`, a hang on
 * `releaseInventory`. Its faults fire only in runs that compensate. A permanent fault on a
 * compensation makes the saga fail with `SagaCompensationFailed` and leaves that step applied,
 * which `verifyStore` lists as unresolved (the run reported it) and {@link predictSaga} expects.
 *
 * **What a run must end as.** The run's failure is read outer first (`failureTypeOf`):
 *
 *   permanent fault on a forward step   WorkflowExecutionFailed ◄ ActivityFailure ◄ ApplicationFailure SimulatedPermanentFault
 *     (the saga undoes the steps before it and the failing one, then rethrows the original)
 *   business rejection of the input     WorkflowExecutionFailed ◄ ActivityFailure ◄ ApplicationFailure CardDeclined (OutOfStock, …)
 *   a compensation that failed          WorkflowExecutionFailed ◄ ApplicationFailure SagaCompensationFailed ◄ the original
 *   transient, hang, lost reply         retried (at most 2 planned failures, 10 attempts): the step succeeds
 *
 * A permanent fault fires before the effect, so on the step that would reject (or an earlier one)
 * the service never sees the request and the run fails with the simulated fault, not the rejection.
 *
 * Each run gets its own accounts and stock (`seedFinance(store, workflowId)`, as the finance tests
 * do), so its outcome does not depend on the other runs; all transfers share the bank's clearing
 * account, and every run shares the store.
 */
import { financeFixture, sampleOrder, seedFinance } from '../activities/finance-seed';
import { SimulatedFaultType, type EffectStore } from 'steadfast/activity';
import { sagaStepStates, type StepState } from '../activities/verify';
import { runKeyOf } from 'steadfast/activity';
import { SAGA_COMPENSATION_FAILED } from 'steadfast/workflow';
import { OrderStep, TransferStep } from '../contracts/finance-steps';
import type { MoneyTransferResult } from '../workflows/money-transfer';
import type { OrderFulfillmentResult } from '../workflows/order-fulfillment';
import {
  type ChaosFaultPlan,
  type ChaosRunDraw,
  type ChaosWorkflowType,
  type ExpectedOutcome,
  type ChaosRunRecord as RunRecord,
} from 'steadfast/testing';
import { BUSINESS_REJECTIONS, RejectionType } from '../contracts/rejections';
import { storeVerified } from './store-verified';

/** One saga step: its activity and its compensation's activity, in the workflow's order. */
interface SagaStep {
  activity: string;
  compensation: string;
}

/** The business rejection a run is set up to meet, and at which step. */
interface Rejection {
  activity: string;
  type: string;
}

/** What a finance run meets besides its fault plan. */
interface FinanceWorld {
  rejection?: Rejection;
}

/** How a compensation leaves its tombstone (`steadfast_compensations.outcome`), or none. */
type Tombstone = 'undone' | 'nothing-to-undo' | undefined;

/** What a saga run must end as, and the state each step must be left in. */
export interface SagaPrediction {
  expected: ExpectedOutcome;
  /** Per step, in order. */
  states: StepState[];
  /** Per step, in order: the tombstone its compensation must leave. */
  tombstones: Tombstone[];
  /** Compensations that must fail (sorted); empty unless the run fails with `SagaCompensationFailed`. */
  failedCompensations: string[];
}

const permanent = (plan: ChaosFaultPlan, activity: string) => plan[activity]?.kind === 'permanent';

/**
 * Works out a saga run from its plan: the first forward step with a permanent fault or the planned
 * rejection stops it; every step up to and including that one is compensated (the failing step's
 * compensation finds nothing); a compensation with a permanent fault fails and leaves its step as
 * it was. Every other planned fault is retried away.
 */
export function predictSaga(steps: readonly SagaStep[], plan: ChaosFaultPlan, world: FinanceWorld): SagaPrediction {
  let failAt = -1;
  let failureType = '';
  for (const [i, s] of steps.entries()) {
    if (permanent(plan, s.activity)) [failAt, failureType] = [i, SimulatedFaultType.permanent];
    else if (world.rejection?.activity === s.activity) [failAt, failureType] = [i, world.rejection.type];
    if (failAt >= 0) break;
  }
  if (failAt < 0) {
    return { expected: { status: 'completed' }, states: steps.map(() => 'applied'), tombstones: steps.map(() => undefined), failedCompensations: [] };
  }
  const compensated = steps.slice(0, failAt + 1);
  const failedCompensations = compensated.filter((s) => permanent(plan, s.compensation)).map((s) => s.compensation).sort();
  return {
    expected: { status: 'failed', failureType: failedCompensations.length ? SAGA_COMPENSATION_FAILED : failureType },
    states: steps.map((s, i) => (i >= failAt ? 'absent' : permanent(plan, s.compensation) ? 'applied' : 'undone')),
    tombstones: steps.map((s, i) => (i > failAt || permanent(plan, s.compensation) ? undefined : i === failAt ? 'nothing-to-undo' : 'undone')),
    failedCompensations,
  };
}

/** Where each id of a completed run's result must be found: table, id column, and the step whose key the row carries. */
interface ResultRef {
  field: string;
  table: string;
  step: string;
}

/**
 * Compares a saga run's effects with {@link predictSaga}: each step's state, each compensation's
 * tombstone, the compensations reported failed, and (when it completed) the ids in its result.
 * Duplicates and the store-wide sums are `verifyStore`'s part ({@link storeVerified}).
 */
async function checkSaga(store: EffectStore, run: RunRecord, steps: readonly SagaStep[], refs: readonly ResultRef[]): Promise<string[]> {
  const problems: string[] = [];
  const want = predictSaga(steps, run.plan, (run.world ?? {}) as FinanceWorld);
  const actual = (await sagaStepStates(store, run.workflowType, run)) ?? [];
  for (const [i, s] of actual.entries()) {
    if (s.state !== want.states[i]) problems.push(`${run.workflowId}: step ${s.step} is ${s.state}, expected ${want.states[i]}`);
    const row = await store.get<{ outcome: string }>('SELECT outcome FROM steadfast_compensations WHERE key = ?', [runKeyOf(run, s.step)]);
    if (row?.outcome !== want.tombstones[i]) {
      problems.push(`${run.workflowId}: compensation of ${s.step} left ${row?.outcome ?? 'no tombstone'}, expected ${want.tombstones[i] ?? 'none'}`);
    }
  }
  const failed = [...(run.failedCompensations ?? [])].sort();
  if (run.status !== 'running' && JSON.stringify(failed) !== JSON.stringify(want.failedCompensations)) {
    problems.push(`${run.workflowId}: compensations reported failed [${failed.join(', ')}], expected [${want.failedCompensations.join(', ')}]`);
  }
  if (run.status === 'completed') {
    const result = (run.result ?? {}) as Record<string, unknown>;
    for (const r of refs) {
      const row = await store.get(`SELECT id FROM ${r.table} WHERE id = ? AND key = ?`, [result[r.field], runKeyOf(run, r.step)]);
      if (!row) problems.push(`${run.workflowId}: the result's ${r.field} is not the ${r.table} row of step ${r.step}`);
    }
  }
  return problems;
}

const ORDER_STEPS: readonly SagaStep[] = [
  { activity: 'reserveInventory', compensation: 'releaseInventory' },
  { activity: 'chargePayment', compensation: 'refundPayment' },
  { activity: 'createShipment', compensation: 'cancelShipment' },
  { activity: 'notifyCustomer', compensation: 'retractNotification' },
];

const ORDER_RESULT_REFS: readonly ResultRef[] = [
  { field: 'reservationId', table: 'inventory_reservations', step: OrderStep.reserveInventory },
  { field: 'paymentId', table: 'bank_ledger', step: OrderStep.chargePayment },
  { field: 'shipmentId', table: 'shipments', step: OrderStep.createShipment },
  { field: 'notificationId', table: 'notifications', step: OrderStep.notifyCustomer },
] satisfies Array<ResultRef & { field: keyof OrderFulfillmentResult }>;

const seedRun = async (store: EffectStore, run: { workflowId: string }) => {
  await seedFinance(store, run.workflowId);
};

const world = (run: ChaosRunDraw) => (run.world ?? {}) as FinanceWorld;

/**
 * `orderFulfillment`: Alice's order (2 widgets, 1 gadget) from her own fixture. One run in six pays
 * with Carol's frozen card (`CardDeclined` at the charge, after the reservation) and one in six asks
 * for more gadgets than are in stock (`OutOfStock` at the reservation); compensation order is drawn
 * (reverse or parallel).
 */
export const orderFulfillmentChaos: ChaosWorkflowType = {
  name: 'orderFulfillment',
  businessRejections: BUSINESS_REJECTIONS,
  faultableActivities: ORDER_STEPS.flatMap((s) => [s.activity, s.compensation]),
  draw({ workflowId, rng }) {
    const f = financeFixture(workflowId);
    const compensation = rng.pick(['reverse', 'parallel'] as const);
    const scenario = rng.pick(['ok', 'ok', 'ok', 'ok', 'declined', 'out-of-stock'] as const);
    if (scenario === 'declined') {
      return {
        args: [sampleOrder(f, workflowId, { paymentAccount: f.accounts.carol, customerEmail: 'carol@example.com', compensation })],
        world: { rejection: { activity: 'chargePayment', type: RejectionType.cardDeclined } },
      };
    }
    if (scenario === 'out-of-stock') {
      return {
        args: [sampleOrder(f, workflowId, { items: [{ sku: f.skus.gadget, quantity: 4 }], compensation })],
        world: { rejection: { activity: 'reserveInventory', type: RejectionType.outOfStock } },
      };
    }
    return { args: [sampleOrder(f, workflowId, { compensation })] };
  },
  seed: seedRun,
  expected: (plan, run) => predictSaga(ORDER_STEPS, plan, world(run)).expected,
  checkEffects: (store, run) => checkSaga(store, run, ORDER_STEPS, ORDER_RESULT_REFS),
  invariants: [storeVerified],
};

const TRANSFER_STEPS: readonly SagaStep[] = [
  { activity: 'withdraw', compensation: 'reverseWithdrawal' },
  { activity: 'deposit', compensation: 'reverseDeposit' },
];

const TRANSFER_RESULT_REFS: readonly ResultRef[] = [
  { field: 'withdrawalId', table: 'bank_ledger', step: TransferStep.withdraw },
  { field: 'depositId', table: 'bank_ledger', step: TransferStep.deposit },
] satisfies Array<ResultRef & { field: keyof MoneyTransferResult }>;

/**
 * `moneyTransfer`: Alice pays Bob 1.00 to 500.00 from her own fixture. One run in six pays Carol,
 * whose account is frozen (`AccountFrozen` at the deposit, so the withdrawal is reversed), and one
 * in six draws more from Bob than his 500.00 (`InsufficientFunds` at the withdrawal).
 */
export const moneyTransferChaos: ChaosWorkflowType = {
  name: 'moneyTransfer',
  businessRejections: BUSINESS_REJECTIONS,
  faultableActivities: TRANSFER_STEPS.flatMap((s) => [s.activity, s.compensation]),
  draw({ workflowId, rng }) {
    const { accounts } = financeFixture(workflowId);
    const compensation = rng.pick(['reverse', 'parallel'] as const);
    const scenario = rng.pick(['ok', 'ok', 'ok', 'ok', 'frozen-payee', 'short-balance'] as const);
    const transfer = { transferId: workflowId, fromAccount: accounts.alice, toAccount: accounts.bob, amount: rng.int(100, 50_000), compensation };
    if (scenario === 'frozen-payee') {
      return {
        args: [{ ...transfer, toAccount: accounts.carol }],
        world: { rejection: { activity: 'deposit', type: RejectionType.accountFrozen } },
      };
    }
    if (scenario === 'short-balance') {
      return {
        args: [{ ...transfer, fromAccount: accounts.bob, toAccount: accounts.alice, amount: rng.int(50_001, 100_000) }],
        world: { rejection: { activity: 'withdraw', type: RejectionType.insufficientFunds } },
      };
    }
    return { args: [transfer] };
  },
  seed: seedRun,
  expected: (plan, run) => predictSaga(TRANSFER_STEPS, plan, world(run)).expected,
  checkEffects: (store, run) => checkSaga(store, run, TRANSFER_STEPS, TRANSFER_RESULT_REFS),
  invariants: [storeVerified],
};
