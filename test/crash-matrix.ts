/**
 * The crash matrix: every workflow type × every step (forward steps and compensations) × each kill
 * point, with a real worker SIGKILL at each cell.
 *
 *   before-effect  the attempt started, its effect not yet applied   (crash point `activity-start`)
 *   after-effect   the effect committed, the reply not yet sent      (crash point `after-effect`)
 *   mid-stage      a heartbeating stage with a checkpoint below its total (the server's pending activity)
 *
 * Each cell runs one workflow on a shared dev server, served by two worker processes; the worker
 * that reaches the cell's point is killed there and the other finishes the run (a replacement is
 * started for the next cell). A cell passes when:
 * - the kill landed: the server ran the step again (attempt ≥ 2) on the surviving worker, after the
 *   killed attempt timed out;
 * - the run ended as planned (completed, or failed and compensated) and its effects are exactly the
 *   planned ones, once each (the chaos types' own checks);
 * and the store-wide check (`verifyStore`: money and stock conserved, no key applied twice) holds
 * over every cell.
 *
 * `npm run crash-matrix` runs every cell and prints the matrix; `test/crash-matrix.test.ts` runs a
 * few. Options: `--only <type>[,<type>]`, `--json`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { financeFixture, sampleOrder } from '../activities/finance-seed';
import type { StageCheckpoint } from '../activities/production';
import { checkInvariants, type InvariantVerdict } from '../src/chaos/invariants';
import type { ChaosFaultPlan } from '../src/chaos/plan';
import { failureTypeOf } from '../src/chaos/fault-records';
import { runRecordOf } from '../src/client/run-record';
import { describeOutcome, outcomeMatches, type ChaosRunDraw, type ChaosWorkflowType, type RunRecord } from '../src/chaos/workflow-types';
import { installRuntime } from '../src/platform/runtime';
import { workflowStartOptions } from '../src/common/failover';
import { arm, type CrashPoint } from '../src/worker/crash-points';
import { FAULT_PLAN_MEMO_KEY } from '../src/common/fault-plan';
import { CHAOS_TYPES } from '../chaos';
import { storeVerified } from '../chaos/store-verified';
import type { ProductionBatchInput } from '../workflows/production-batch';
import { historyEvents, uniqueId, waitUntil } from './helpers';
import type { WorkerProcess } from 'steadfast/testing';
import { openCrashHarness, type CrashHarness } from './crash-harness';

const CHAOS_WORKFLOW_TYPES: Record<string, ChaosWorkflowType> = Object.fromEntries(CHAOS_TYPES.map((t) => [t.name, t]));

/** Where in a step the worker is killed. */
export type KillPoint = 'before-effect' | 'after-effect' | 'mid-stage';

export const KILL_POINTS: readonly KillPoint[] = ['before-effect', 'after-effect', 'mid-stage'];

const CRASH_POINT: Record<Exclude<KillPoint, 'mid-stage'>, CrashPoint> = {
  'before-effect': 'activity-start',
  'after-effect': 'after-effect',
};

/** One cell: a step of a workflow type, a kill point, and the run that reaches the step. */
export interface MatrixCell {
  type: string;
  /** The activity type of the step. */
  step: string;
  point: KillPoint;
  /** The run that reaches the step: its fault plan (a permanent fault makes the saga compensate) and input. */
  plan: ChaosFaultPlan;
  draw: (workflowId: string) => ChaosRunDraw;
}

/** How a cell ended. */
export interface CellResult {
  type: string;
  step: string;
  point: KillPoint;
  workflowId: string;
  /** `completed`, `compensated` (failed as planned after undoing its steps) or what went wrong. */
  outcome: string;
  passed: boolean;
  /** Why the cell failed (empty when it passed). */
  problems: string[];
  /** The killed and the surviving worker, and the attempt of the step that the survivor ran. */
  killed?: string;
  survivor?: string;
  retryAttempt?: number;
  ms: number;
}

const orderDraw = (workflowId: string): ChaosRunDraw => ({ args: [sampleOrder(financeFixture(workflowId), workflowId, { compensation: 'reverse' })] });
const transferDraw = (workflowId: string): ChaosRunDraw => {
  const { accounts } = financeFixture(workflowId);
  return { args: [{ transferId: workflowId, fromAccount: accounts.alice, toAccount: accounts.bob, amount: 12_345, compensation: 'reverse' }] };
};
const productionInput = (workflowId: string, unitMs: number): ProductionBatchInput => ({
  lineId: workflowId,
  product: 'gearbox',
  batches: 1,
  unitsPerBatch: 12,
  stages: ['machining'],
  maxReworks: 1,
  unitMs,
  chunkUnits: 2,
});
const productionDraw = (workflowId: string): ChaosRunDraw => ({ args: [productionInput(workflowId, 20)] });
// A batch with defects that one rework pass fixes: the run reaches `reworkBatch`.
const reworkDraw = (workflowId: string): ChaosRunDraw => ({
  args: [productionInput(workflowId, 20)],
  world: { defects: { batch: 1, units: 2, reworkPasses: 1 } },
});
// Slow enough units that a poller sees the stage between its first checkpoint and its total.
const slowStageDraw = (workflowId: string): ChaosRunDraw => ({ args: [productionInput(workflowId, 150)] });
const careDraw = (workflowId: string): ChaosRunDraw => ({
  args: [{ patientId: `patient-${workflowId}`, ward: 'cardiology', followUpAfter: '1 second' }],
});

const PERMANENT = { kind: 'permanent' } as const;

/** Every cell of the matrix, in print order. */
export function matrixCells(): MatrixCell[] {
  const cells: MatrixCell[] = [];
  const add = (type: string, steps: string[], plan: ChaosFaultPlan, draw: MatrixCell['draw'], points: KillPoint[] = ['before-effect', 'after-effect']) => {
    for (const step of steps) for (const point of points) cells.push({ type, step, point, plan, draw });
  };
  add('orderFulfillment', ['reserveInventory', 'chargePayment', 'createShipment', 'notifyCustomer'], {}, orderDraw);
  // The last step fails for good: the saga compensates every step, the failed one included.
  add('orderFulfillment', ['retractNotification', 'cancelShipment', 'refundPayment', 'releaseInventory'], { notifyCustomer: PERMANENT }, orderDraw);
  add('moneyTransfer', ['withdraw', 'deposit'], {}, transferDraw);
  add('moneyTransfer', ['reverseDeposit', 'reverseWithdrawal'], { deposit: PERMANENT }, transferDraw);
  add('productionBatch', ['reserveMaterials', 'runStage', 'inspectBatch', 'recordBatch'], {}, productionDraw);
  add('productionBatch', ['reworkBatch'], {}, reworkDraw);
  add('productionBatch', ['releaseMaterials'], { recordBatch: PERMANENT }, productionDraw);
  add('productionBatch', ['runStage'], {}, slowStageDraw, ['mid-stage']);
  add('carePathway', ['admitPatient', 'scheduleFollowUp'], {}, careDraw);
  return cells;
}

/** The idempotency keys of the scheduled activities and who started each, from the run's history. */
async function attemptsOf(handle: WorkflowHandle, step: string): Promise<Array<{ attempt: number; identity: string; timedOut: boolean }>> {
  const events = await historyEvents(handle);
  const scheduled = new Set(
    events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === step).map((e) => String(e.eventId)),
  );
  return events
    .filter((e) => scheduled.has(String(e.activityTaskStartedEventAttributes?.scheduledEventId)))
    .map((e) => {
      const a = e.activityTaskStartedEventAttributes!;
      return { attempt: a.attempt ?? 1, identity: a.identity ?? '', timedOut: Boolean(a.lastFailure?.timeoutFailureInfo) };
    });
}

/** A dev server, a store and a pool of two worker processes sharing one crash-point directory. */
export class CrashMatrix {
  readonly results: CellResult[] = [];
  readonly records: RunRecord[] = [];
  private workers: WorkerProcess[] = [];
  private readonly taskQueue = uniqueId('crash-matrix-tq');
  private readonly dir: string;

  private constructor(private readonly h: CrashHarness) {
    this.dir = fs.mkdtempSync(path.join(h.scratch, 'matrix-points-'));
  }

  static async open(): Promise<CrashMatrix> {
    const m = new CrashMatrix(await openCrashHarness('crash-matrix'));
    await m.fill();
    return m;
  }

  /** Starts workers until two are live and ready. */
  private async fill(): Promise<void> {
    this.workers = this.workers.filter((w) => w.running);
    while (this.workers.length < 2) this.workers.push(this.h.spawn(this.taskQueue, `m${this.workers.length}`, { crashPointsDir: this.dir }));
    await Promise.all(this.workers.map((w) => w.ready));
  }

  private async killHolder(identity: string): Promise<WorkerProcess> {
    const victim = this.workers.find((w) => w.identity === identity);
    if (!victim) throw new Error(`no worker ${identity} in the pool`);
    victim.kill('SIGKILL');
    await victim.exited;
    return this.workers.find((w) => w !== victim && w.running)!;
  }

  /** Runs one cell to its end and records it. */
  async run(cell: MatrixCell): Promise<CellResult> {
    const started = Date.now();
    const type = CHAOS_WORKFLOW_TYPES[cell.type];
    const workflowId = uniqueId(`matrix-${cell.type}-${cell.step}-${cell.point}`);
    const draw = cell.draw(workflowId);
    const base = { type: cell.type, step: cell.step, point: cell.point, workflowId };
    const problems: string[] = [];
    await this.fill();
    await type.seed?.(this.h.store, { ...draw, workflowId });
    if (cell.point !== 'mid-stage') arm(this.dir, CRASH_POINT[cell.point], cell.step, workflowId);
    const handle = await this.h.temporal.client.workflow.start(cell.type, {
      taskQueue: this.taskQueue,
      workflowId,
      args: draw.args,
      memo: { [FAULT_PLAN_MEMO_KEY]: cell.plan },
      ...workflowStartOptions(),
    });

    let victim: string;
    if (cell.point === 'mid-stage') {
      const units = (draw.args[0] as ProductionBatchInput).unitsPerBatch;
      victim = await waitUntil(
        async () => {
          const pending = (await handle.describe()).raw.pendingActivities?.find((a) => a.activityType?.name === cell.step);
          const details = pending?.heartbeatDetails?.payloads?.[0];
          const done = details ? defaultPayloadConverter.fromPayload<StageCheckpoint>(details).unitsDone : 0;
          // Mid-way: a checkpoint above 0 and below the total, on a worker of the pool.
          return done > 0 && done < units && pending?.attempt === 1 ? pending.lastWorkerIdentity ?? undefined : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 25, what: `${cell.step} mid-way` },
      );
    } else {
      const held = await waitUntil(
        () => this.workers.flatMap((w) => w.markers).find((m) => m.held && m.workflowId === workflowId),
        { timeoutMs: 60_000, intervalMs: 10, what: `${workflowId} at ${cell.point} of ${cell.step}` },
      );
      if (held.activityType !== cell.step) problems.push(`held at ${held.activityType}, not ${cell.step}`);
      victim = held.identity;
    }
    const survivor = await this.killHolder(victim);
    const refill = this.fill();

    const failure = await handle.result().then(
      () => undefined,
      (err: unknown) => err,
    );
    await refill;
    const d = await handle.describe();
    const events = await historyEvents(handle);
    const closing = events[events.length - 1];
    const status = d.status.name.toLowerCase();
    const failureType = failureTypeOf(closing?.workflowExecutionFailedEventAttributes?.failure);
    const expected = type.expected(cell.plan, draw);
    const outcomeCorrect = outcomeMatches(expected, status, failureType);
    if (!outcomeCorrect) {
      problems.push(`ended ${status}${failureType ? ` (${failureType})` : ''}, expected ${describeOutcome(expected)}${failure ? `: ${String(failure)}` : ''}`);
    }

    // The kill landed: the step ran again, on the survivor, after the killed attempt timed out.
    const attempts = await attemptsOf(handle, cell.step);
    const retry = attempts.find((a) => a.attempt >= 2 && a.identity === survivor.identity && a.timedOut);
    if (!retry) problems.push(`no retry of ${cell.step} on the survivor after a timeout: ${JSON.stringify(attempts)}`);

    const record: RunRecord = {
      workflowId,
      // The run chain its keys belong to (see steadfast/workflow's stepKey).
      namespace: handle.client.options.namespace,
      firstExecutionRunId: d.raw.workflowExecutionInfo?.firstRunId || d.runId,
      workflowType: cell.type,
      plan: cell.plan,
      args: draw.args,
      world: draw.world,
      expected,
      status,
      failureType,
      failedCompensations: status === 'failed' ? (await runRecordOf(handle)).failedCompensations : undefined,
      result: status === 'completed' ? await handle.result() : undefined,
      outcomeCorrect,
    };
    this.records.push(record);
    problems.push(...(await type.checkEffects!(this.h.store, record)));
    const result: CellResult = {
      ...base,
      outcome: !outcomeCorrect ? 'WRONG' : status === 'completed' ? 'completed' : 'compensated',
      passed: problems.length === 0,
      problems,
      killed: victim,
      survivor: survivor.identity,
      retryAttempt: retry?.attempt,
      ms: Date.now() - started,
    };
    this.results.push(result);
    return result;
  }

  /** `verifyStore` over every cell's run: money and stock conserved, no key applied twice, every run consistent. */
  async storeVerdict(): Promise<InvariantVerdict> {
    const [verdict] = await checkInvariants([storeVerified], { store: this.h.store, runs: this.records, types: CHAOS_WORKFLOW_TYPES });
    return verdict;
  }

  async close(): Promise<void> {
    await this.h.close();
  }
}

/** The matrix as text: one row per type and step, one column per kill point. */
export function formatMatrix(results: readonly CellResult[]): string {
  const rows = new Map<string, Map<KillPoint, CellResult>>();
  for (const r of results) {
    const key = `${r.type} ${r.step}`;
    if (!rows.has(key)) rows.set(key, new Map());
    rows.get(key)!.set(r.point, r);
  }
  const width = Math.max(...[...rows.keys()].map((k) => k.length), 10);
  const cell = (r: CellResult | undefined) => (r ? `${r.passed ? 'ok' : 'FAIL'} ${r.outcome} (${(r.ms / 1000).toFixed(0)} s)` : '—').padEnd(26);
  const lines = [`${'type step'.padEnd(width)}  ${KILL_POINTS.map((p) => p.padEnd(26)).join('')}`];
  for (const [key, byPoint] of rows) lines.push(`${key.padEnd(width)}  ${KILL_POINTS.map((p) => cell(byPoint.get(p))).join('')}`);
  for (const r of results.filter((x) => !x.passed)) lines.push(`FAIL ${r.type} ${r.step} ${r.point} (${r.workflowId}):`, ...r.problems.map((p) => `  ${p}`));
  return lines.join('\n');
}

async function main(): Promise<number> {
  installRuntime('ERROR');
  // The matrix's workers arm crash points, a test hook that production workers refuse unless fault
  // injection is on (mocha's test/setup.ts turns it on for the bounded test; this command does it here).
  process.env.STEADFAST_FAULT_INJECTION = '1';
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? args[onlyAt + 1]?.split(',') : undefined;
  const unknown = (only ?? []).filter((t) => !CHAOS_WORKFLOW_TYPES[t]);
  if ((onlyAt >= 0 && !only) || unknown.length) {
    console.error(`--only: expected workflow types among ${Object.keys(CHAOS_WORKFLOW_TYPES).join(', ')}; got ${unknown.join(', ') || 'nothing'}`);
    return 2;
  }
  const cells = matrixCells().filter((c) => !only || only.includes(c.type));
  const matrix = await CrashMatrix.open();
  const started = Date.now();
  try {
    for (const [i, cell] of cells.entries()) {
      const r = await matrix.run(cell).catch(
        (err: unknown): CellResult => ({ type: cell.type, step: cell.step, point: cell.point, workflowId: '?', outcome: 'ERROR', passed: false, problems: [String(err)], ms: 0 }),
      );
      if (!json) console.error(`[${i + 1}/${cells.length}] ${r.passed ? 'ok  ' : 'FAIL'} ${cell.type} ${cell.step} ${cell.point}: ${r.outcome}`);
    }
    const store = await matrix.storeVerdict();
    const passed = matrix.results.every((r) => r.passed) && store.holds;
    if (json) {
      console.log(JSON.stringify({ passed, cells: matrix.results, store }, null, 2));
    } else {
      console.log(formatMatrix(matrix.results));
      console.log(`\nverifyStore over ${store.checked} idempotency keys: ${store.holds ? 'ok (money and stock conserved, no key applied twice)' : 'FAIL'}`);
      for (const v of store.violations) console.log(`  ${v}`);
      console.log(`${matrix.results.filter((r) => r.passed).length}/${matrix.results.length} cells passed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    return passed ? 0 : 1;
  } finally {
    await matrix.close();
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
