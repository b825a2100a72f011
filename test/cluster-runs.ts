/**
 * Runs of the reference application's workflow types for the cluster tests, built from the chaos
 * harness's type registry: each type draws its input, seeds the store, predicts its outcome from a
 * fault plan, and checks its own effects; the invariants (every run terminal and correct, effects
 * once, `verifyStore`: money and stock conserved) are the harness's.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { EffectStore } from '../src/activity/store';
import { CHAOS_TYPES as CHAOS_TYPE_LIST } from '../chaos';
import { checkInvariants, defaultInvariants, type InvariantVerdict } from '../src/chaos/invariants';
import { Rng, type ChaosFaultPlan } from '../src/chaos/plan';
import { recordOfRun } from '../src/chaos/runner';
import type { ChaosRunDraw, ChaosWorkflowType, ExpectedOutcome, RunRecord } from '../src/chaos/workflow-types';
import { workflowStartOptions } from '../src/common/failover';
import { FAULT_PLAN_MEMO_KEY } from '../src/common/fault-plan';
import { uniqueId } from './helpers';

/** The reference application's chaos types, by name. */
export const CHAOS_WORKFLOW_TYPES: Record<string, ChaosWorkflowType> = Object.fromEntries(CHAOS_TYPE_LIST.map((t) => [t.name, t]));

/** A run to start: a workflow type, its fault plan, and (optionally) a change to its drawn input. */
export interface RunSpec {
  type: 'orderFulfillment' | 'moneyTransfer' | 'productionBatch' | 'carePathway';
  plan?: ChaosFaultPlan;
  /** Only draws whose expected outcome is this (default: any). */
  want?: ExpectedOutcome['status'];
  /** Changes the drawn input (e.g. slower production stages); the prediction still holds. */
  adjust?: (args: unknown[]) => unknown[];
}

/** A started run. */
export interface StartedRun extends ChaosRunDraw {
  workflowId: string;
  type: ChaosWorkflowType;
  plan: ChaosFaultPlan;
  expected: ExpectedOutcome;
  handle: WorkflowHandle;
}

const rng = new Rng(20_261_201);

/** Draws, seeds and starts each run on `taskQueue`. */
export async function startRuns(client: Client, store: EffectStore, taskQueue: string, specs: readonly RunSpec[]): Promise<StartedRun[]> {
  const out: StartedRun[] = [];
  for (const spec of specs) {
    const type = CHAOS_WORKFLOW_TYPES[spec.type];
    const plan = spec.plan ?? {};
    let workflowId: string;
    let draw: ChaosRunDraw;
    let expected: ExpectedOutcome;
    for (let tries = 0; ; tries++) {
      workflowId = uniqueId(`cluster-${type.name}`);
      draw = type.draw({ workflowId, index: out.length, rng });
      if (spec.adjust) draw = { ...draw, args: spec.adjust(draw.args) };
      expected = type.expected(plan, draw);
      if (!spec.want || expected.status === spec.want) break;
      if (tries > 50) throw new Error(`no draw of ${type.name} ends ${spec.want} with plan ${JSON.stringify(plan)}`);
    }
    await type.seed?.(store, { ...draw, workflowId });
    const handle = await client.workflow.start(type.name, {
      taskQueue,
      workflowId,
      args: draw.args,
      memo: { [FAULT_PLAN_MEMO_KEY]: plan },
      ...workflowStartOptions(),
    });
    out.push({ workflowId, type, plan, ...draw, expected, handle });
  }
  return out;
}

/** Waits for every run to close and records how each ended. */
export async function finishRuns(runs: readonly StartedRun[]): Promise<RunRecord[]> {
  return Promise.all(
    runs.map(async (run) => {
      await run.handle.result().catch(() => undefined);
      return recordOfRun(run, run.handle, (await run.handle.fetchHistory()).events ?? []);
    }),
  );
}

/** The harness's invariants over `records`: every run terminal and correct, effects once, the store verified. */
export async function checkRuns(store: EffectStore, records: readonly RunRecord[]): Promise<InvariantVerdict[]> {
  const names = [...new Set(records.map((r) => r.workflowType))];
  return checkInvariants(defaultInvariants(CHAOS_WORKFLOW_TYPES, names), { store, runs: [...records], types: CHAOS_WORKFLOW_TYPES });
}

/** The violations of every invariant that does not hold, as lines (empty when all hold). */
export function violations(verdicts: readonly InvariantVerdict[]): string[] {
  return verdicts.filter((v) => !v.holds).flatMap((v) => v.violations.map((x) => `${v.name}: ${x}`));
}
