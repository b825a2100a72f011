/**
 * `verifyStore`: checks the effect store's invariants after runs, for the tests and the chaos
 * harness (`client/chaos/invariants.ts`, `storeVerified`). It reads the store only; runs are described by the caller (`client/run-record.ts`
 * builds {@link RunRecord}s from workflow handles).
 *
 *   no key applied twice     each key's effect rows exist once; every effect row has its key
 *                            recorded; no step landed after its compensation found nothing
 *   money conserved          balances sum to the opening deposits; each balance equals its ledger;
 *                            every posting sums to zero; the clearing account is empty
 *   stock conserved          available + held = received, per SKU
 *   reservations closed      every reservation is shipped (held, with a live shipment) or released
 *   runs                     every run is closed, and its effects match its outcome: a completed
 *                            run's steps all applied; a failed or cancelled run's steps all undone
 *                            (or never applied)
 *
 * A finding is a *violation* (an invariant is broken: a bug) or *unresolved* (a leftover the run
 * itself reported: a compensation that failed after its retries, a terminated run). `ok` means no
 * violations; unresolved findings need an operator, not a fix.
 */
import { CLEARING_ACCOUNT, LedgerKind } from './bank';
import type { OrderLine } from './inventory';
import { parseStepKey, prunedBefore, runKeyOf, sameRunChain, type EffectStore, type RunKeys } from 'steadfast/activity';
import type { RunRecord } from 'steadfast/client';
import { OrderStep, TransferStep } from '../contracts/finance-steps';
import { checkedCents } from '../contracts/money';

/** What the caller knows about one run. */
export type { RunRecord };

/** The invariants, by name. */
export type Check =
  | 'key-applied-twice'
  | 'effect-without-key'
  | 'effect-after-compensation'
  | 'compensated-by-another-run'
  | 'money-not-conserved'
  | 'ledger-mismatch'
  | 'unbalanced-posting'
  | 'money-in-transit'
  | 'stock-not-conserved'
  | 'reservation-open'
  | 'shipment-without-reservation'
  | 'run-not-terminal'
  | 'run-inconsistent';

/** One finding of {@link verifyStore}. */
export interface Finding {
  check: Check;
  /** What it is about: a key, an account, a SKU, a workflow id. */
  subject: string;
  message: string;
}

/** The result of {@link verifyStore}. */
export interface VerifyReport {
  /** True when there is no violation (unresolved findings may remain). */
  ok: boolean;
  violations: Finding[];
  /** Leftovers that a run reported itself (a failed compensation, a terminated run). */
  unresolved: Finding[];
  stats: {
    keys: number;
    ledgerEntries: number;
    /** Sum of all balances, in cents. */
    totalBalance: number;
    /** Sum of all opening deposits, in cents. */
    seededTotal: number;
    reservations: number;
    shipments: number;
    notifications: number;
    runs: number;
  };
}

/** The state of one step's effect: never applied, applied, or applied and then undone. */
export type StepState = 'absent' | 'applied' | 'undone';

interface StepSpec {
  step: string;
  /** Activity type of the step's compensation (as listed in `SagaCompensationFailed` details). */
  compensation: string;
  state(store: EffectStore, key: string): Promise<StepState>;
}

function ledgerStep(step: string, compensation: string, kind: string): StepSpec {
  return {
    step,
    compensation,
    async state(store, key) {
      const posted = await store.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM bank_ledger WHERE key = ? AND kind = ?', [key, kind]);
      if (Number(posted?.n) === 0) return 'absent';
      const reversed = await store.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM bank_ledger WHERE ref = ?', [key]);
      return Number(reversed?.n) > 0 ? 'undone' : 'applied';
    },
  };
}

/** The steps of each saga workflow type, with how to read their state from the store. */
const SAGA_STEPS: Record<string, StepSpec[]> = {
  orderFulfillment: [
    {
      step: OrderStep.reserveInventory,
      compensation: 'releaseInventory',
      async state(store, key) {
        const r = await store.get<{ status: string }>('SELECT status FROM inventory_reservations WHERE key = ?', [key]);
        return !r ? 'absent' : r.status === 'reserved' ? 'applied' : 'undone';
      },
    },
    ledgerStep(OrderStep.chargePayment, 'refundPayment', LedgerKind.charge),
    {
      step: OrderStep.createShipment,
      compensation: 'cancelShipment',
      async state(store, key) {
        const s = await store.get<{ status: string }>('SELECT status FROM shipments WHERE key = ?', [key]);
        return !s ? 'absent' : s.status === 'created' ? 'applied' : 'undone';
      },
    },
    {
      step: OrderStep.notifyCustomer,
      compensation: 'retractNotification',
      async state(store, key) {
        const sent = await store.get<{ n: number | string }>("SELECT COUNT(*) AS n FROM notifications WHERE key = ? AND kind = 'message'", [key]);
        if (Number(sent?.n) === 0) return 'absent';
        const corrected = await store.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM notifications WHERE ref = ?', [key]);
        return Number(corrected?.n) > 0 ? 'undone' : 'applied';
      },
    },
  ],
  moneyTransfer: [
    ledgerStep(TransferStep.withdraw, 'reverseWithdrawal', LedgerKind.withdrawal),
    ledgerStep(TransferStep.deposit, 'reverseDeposit', LedgerKind.deposit),
  ],
};

/** One step of a saga run and the state of its effect in the store. */
export interface SagaStepState {
  /** The step name in its idempotency key (`workflows/finance-steps.ts`). */
  step: string;
  /** Activity type of its compensation. */
  compensation: string;
  state: StepState;
}

/**
 * The state of each step of a saga run (`orderFulfillment`, `moneyTransfer`), in step order, read
 * from the store by the step's key; undefined for a workflow type without saga steps.
 */
export async function sagaStepStates(store: EffectStore, workflowType: string, run: RunKeys): Promise<SagaStepState[] | undefined> {
  const steps = SAGA_STEPS[workflowType];
  if (!steps) return undefined;
  const out: SagaStepState[] = [];
  for (const spec of steps) {
    out.push({ step: spec.step, compensation: spec.compensation, state: await spec.state(store, runKeyOf(run, spec.step)) });
  }
  return out;
}

const CLOSED = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT', 'CONTINUED_AS_NEW']);

/** Effect tables: each row carries the key it was applied under. */
const EFFECT_TABLES: { table: string; group: string }[] = [
  // A posting has one leg per account; the same (key, account, kind, ref) twice is a double posting.
  { table: 'bank_ledger', group: 'key, account_id, kind, ref' },
  { table: 'inventory_reservations', group: 'key' },
  { table: 'shipments', group: 'key' },
  { table: 'notifications', group: 'key, kind' },
];

/**
 * Checks the store's invariants (see the file comment) and, for each run in `runs`, that its
 * effects match its outcome. Reads only; safe to run against a live store, though runs in flight
 * show up as open reservations and money in transit.
 */
export async function verifyStore(store: EffectStore, options: { runs?: RunRecord[] } = {}): Promise<VerifyReport> {
  const runs = options.runs ?? [];
  const violations: Finding[] = [];
  const unresolved: Finding[] = [];
  const violate = (check: Check, subject: string, message: string) => violations.push({ check, subject, message });
  /** Step keys that a run reported as left applied; global checks treat them as unresolved. */
  const excused = new Set<string>();

  // Runs: closed, and consistent with their effects.
  for (const run of runs) {
    if (!CLOSED.has(run.status)) {
      violate('run-not-terminal', run.workflowId, `${run.workflowType} run is ${run.status}, not closed`);
      continue;
    }
    for (const spec of (await sagaStepStates(store, run.workflowType, run)) ?? []) {
      const { state } = spec;
      const key = runKeyOf(run, spec.step);
      if (run.status === 'COMPLETED') {
        if (state !== 'applied') violate('run-inconsistent', run.workflowId, `completed, but step ${spec.step} is ${state}`);
        else excused.add(key);
      } else if (state === 'applied') {
        const reported =
          run.status === 'TERMINATED' || run.status === 'TIMED_OUT'
            ? `the run was ${run.status.toLowerCase()} before it could compensate`
            : run.failedCompensations?.includes(spec.compensation)
              ? `its compensation ${spec.compensation} failed and the run reported it`
              : undefined;
        if (reported) {
          excused.add(key);
          unresolved.push({ check: 'run-inconsistent', subject: run.workflowId, message: `step ${spec.step} is still applied: ${reported}` });
        } else {
          violate('run-inconsistent', run.workflowId, `${run.status.toLowerCase()}, but step ${spec.step} is still applied (not compensated)`);
        }
      }
    }
  }

  // No key applied twice; every effect under a recorded key; nothing landed after its compensation.
  const pruned = await prunedBefore(store);
  for (const { table, group } of EFFECT_TABLES) {
    const twice = await store.all<{ key: string; n: number | string }>(
      `SELECT key, COUNT(*) AS n FROM ${table} GROUP BY ${group} HAVING COUNT(*) > 1`,
    );
    for (const t of twice) violate('key-applied-twice', t.key, `${table} has ${Number(t.n)} rows for one effect of this key`);
    // Effects older than a `steadfast store prune` cutoff lost their key on purpose.
    const keyless = await store.all<{ key: string }>(
      `SELECT DISTINCT e.key FROM ${table} e LEFT JOIN steadfast_idempotency i ON i.key = e.key WHERE i.key IS NULL AND e.created_at >= ?`,
      [pruned ?? ''],
    );
    for (const k of keyless) violate('effect-without-key', k.key, `${table} has an effect whose key was never recorded`);
    const late = await store.all<{ key: string }>(
      `SELECT DISTINCT e.key FROM ${table} e JOIN steadfast_compensations c ON c.key = e.key WHERE c.outcome = 'nothing-to-undo'`,
    );
    for (const k of late) violate('effect-after-compensation', k.key, `${table} has an effect that landed after its compensation found nothing to undo`);
  }

  // A compensation undoes only what its own run applied: a tombstone whose compensation key and
  // step key belong to different run chains means one run undid (or blocked) another's step.
  for (const c of await store.all<{ key: string; compensation_key: string }>('SELECT key, compensation_key FROM steadfast_compensations')) {
    const [step, undo] = [parseStepKey(c.key), parseStepKey(c.compensation_key)];
    if (step?.kind === 'run' && undo?.kind === 'run' && !sameRunChain(c.key, c.compensation_key)) {
      violate(
        'compensated-by-another-run',
        c.key,
        `compensated by ${c.compensation_key}, a key of run chain ${undo.workflowId}/${undo.firstExecutionRunId}, ` +
          `not of ${step.workflowId}/${step.firstExecutionRunId}`,
      );
    }
  }

  // Money.
  const accounts = await store.all<{ id: string; balance: number | string }>('SELECT id, balance FROM bank_accounts');
  const ledgerSums = new Map(
    (await store.all<{ account_id: string; total: number | string }>('SELECT account_id, SUM(amount) AS total FROM bank_ledger GROUP BY account_id')).map(
      (r) => [r.account_id, checkedCents(r.total, `ledger sum of ${r.account_id}`)],
    ),
  );
  let totalBalance = 0;
  for (const a of accounts) {
    const balance = checkedCents(a.balance, `balance of ${a.id}`);
    totalBalance += balance;
    const ledger = ledgerSums.get(a.id) ?? 0;
    if (balance !== ledger) violate('ledger-mismatch', a.id, `balance ${balance} but its ledger sums to ${ledger}`);
  }
  const seeded = await store.get<{ total: number | string | null }>('SELECT SUM(amount) AS total FROM bank_ledger WHERE kind = ?', [LedgerKind.opening]);
  const seededTotal = checkedCents(seeded?.total ?? 0, 'sum of opening deposits');
  if (totalBalance !== seededTotal) {
    violate('money-not-conserved', 'all accounts', `balances sum to ${totalBalance}, opening deposits to ${seededTotal}`);
  }
  const unbalanced = await store.all<{ key: string; total: number | string }>(
    'SELECT key, SUM(amount) AS total FROM bank_ledger WHERE kind <> ? GROUP BY key HAVING SUM(amount) <> 0',
    [LedgerKind.opening],
  );
  for (const u of unbalanced) violate('unbalanced-posting', u.key, `posting sums to ${String(u.total)}, not 0`);
  const clearing = checkedCents(accounts.find((a) => a.id === CLEARING_ACCOUNT)?.balance ?? 0, 'clearing balance');
  if (clearing !== 0) {
    const transferKeys = [...excused].filter((k) => k.endsWith(`/${TransferStep.withdraw}`) || k.endsWith(`/${TransferStep.deposit}`));
    const finding: Finding = { check: 'money-in-transit', subject: CLEARING_ACCOUNT, message: `${clearing} cents are still in transit` };
    if (transferKeys.length) unresolved.push(finding);
    else violations.push(finding);
  }

  // Stock and reservations.
  const items = await store.all<{ sku: string; available: number | string; received: number | string }>(
    'SELECT sku, available, received FROM inventory_items',
  );
  const reservations = await store.all<{ id: string; key: string; items: string; status: string }>(
    'SELECT id, key, items, status FROM inventory_reservations',
  );
  const shipments = await store.all<{ key: string; reservation_id: string; status: string }>('SELECT key, reservation_id, status FROM shipments');
  const held = new Map<string, number>();
  for (const r of reservations.filter((r) => r.status === 'reserved')) {
    for (const line of JSON.parse(r.items) as OrderLine[]) held.set(line.sku, (held.get(line.sku) ?? 0) + line.quantity);
  }
  for (const i of items) {
    const [available, received, reserved] = [Number(i.available), Number(i.received), held.get(i.sku) ?? 0];
    if (available < 0 || available + reserved !== received) {
      violate('stock-not-conserved', i.sku, `available ${available} + held ${reserved} ≠ received ${received}`);
    }
  }
  const liveShipments = shipments.filter((s) => s.status === 'created');
  for (const r of reservations.filter((r) => r.status === 'reserved')) {
    if (liveShipments.some((s) => s.reservation_id === r.id)) continue;
    const finding: Finding = { check: 'reservation-open', subject: r.key, message: `reservation ${r.id} holds goods but was neither shipped nor released` };
    if (excused.has(r.key)) unresolved.push(finding);
    else violations.push(finding);
  }
  const reservationStatus = new Map(reservations.map((r) => [r.id, r.status]));
  for (const s of liveShipments) {
    if (reservationStatus.get(s.reservation_id) !== 'reserved') {
      const finding: Finding = {
        check: 'shipment-without-reservation',
        subject: s.key,
        message: `shipment of reservation ${s.reservation_id} is live but the reservation is ${reservationStatus.get(s.reservation_id) ?? 'missing'}`,
      };
      if (excused.has(s.key)) unresolved.push(finding);
      else violations.push(finding);
    }
  }

  const count = async (table: string) => Number((await store.get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table}`))?.n ?? 0);
  return {
    ok: violations.length === 0,
    violations,
    unresolved,
    stats: {
      keys: await count('steadfast_idempotency'),
      ledgerEntries: await count('bank_ledger'),
      totalBalance,
      seededTotal,
      reservations: reservations.length,
      shipments: shipments.length,
      notifications: await count('notifications'),
      runs: runs.length,
    },
  };
}

/** The report as lines for a terminal. */
export function formatReport(report: VerifyReport): string {
  const s = report.stats;
  const lines = [
    `verify: ${report.ok ? 'OK' : `${report.violations.length} violation(s)`}` +
      (report.unresolved.length ? `, ${report.unresolved.length} unresolved` : '') +
      ` — ${s.keys} keys, ${s.ledgerEntries} ledger entries, balances ${s.totalBalance}/${s.seededTotal} cents seeded,` +
      ` ${s.reservations} reservations, ${s.shipments} shipments, ${s.notifications} notifications, ${s.runs} runs`,
  ];
  for (const f of report.violations) lines.push(`  violation  ${f.check}  ${f.subject}: ${f.message}`);
  for (const f of report.unresolved) lines.push(`  unresolved ${f.check}  ${f.subject}: ${f.message}`);
  return lines.join('\n');
}
