/**
 * Commands that start and operate runs: start, status, result, signal, query, update, cancel,
 * terminate. Input is read and validated before any connection is made, so bad input never has
 * a partial effect.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { workflowStartOptions } from '../../common/failover';
import { checkFaultPlan, FAULT_KINDS, FAULT_PLAN_MEMO_KEY, type FaultPlan } from '../../common/fault-plan';
import { OperationError, UsageError } from '../cli-errors';
import { readJson, readJsonAs, validate } from '../cli-input';
import type { CliConnection } from '../connect';
import { formatChain } from '../../client/failures';
import { formatStuck, stuckWorkflowTask } from '../../client/faults';
import { withProgress, type Progress } from '../progress';
import { formatSummary, summarize, waitForOutcome, type RunOutcome } from '../../client/runs';
import { formatTrail, trailOf } from '../../client/trail';
import { lookupHandler, lookupWorkflowType, workflowRegistry, type HandlerKind } from '../workflow-registry';
import { ok, unsatisfied, type CommandOutput } from './output';

/** Options of `start`. */
export interface StartOptions {
  input: string;
  id?: string;
  wait?: boolean;
  faultPlan?: string;
}

/** `start`'s input, validated offline: the type, the input and the fault plan. */
export function prepareStart(workflowType: string, opts: StartOptions) {
  const spec = lookupWorkflowType(workflowType);
  const input = readJsonAs('--input', opts.input, spec.input, `the input of ${workflowType}`);
  const faultPlan: FaultPlan | undefined = opts.faultPlan ? readFaultPlan(opts.faultPlan, spec.activities) : undefined;
  if (opts.id !== undefined && opts.id.trim() === '') {
    throw new UsageError({ message: '--id: expected a non-empty workflow id', field: '--id', expected: 'a non-empty workflow id' });
  }
  // Full length: a default id must never collide with an earlier run's (a reused id is refused at start).
  const workflowId = opts.id ?? `${workflowType}-${randomUUID()}`;
  return { spec, input, faultPlan, workflowId };
}

/** Reads `--fault-plan` and checks it against the type's activity names and the fault kinds. */
function readFaultPlan(value: string, activities: readonly string[]): FaultPlan {
  const plan = readJson('--fault-plan', value);
  const problems = checkFaultPlan(plan, activities);
  if (problems.length) {
    throw new UsageError({
      code: 'invalid-fault-plan',
      message: `--fault-plan does not match a fault plan for this type:\n${problems.map((p) => `  ${p}`).join('\n')}`,
      field: '--fault-plan',
      expected: `activity names: ${activities.join(', ')}; kinds: ${FAULT_KINDS.join(', ')}`,
      issues: problems.map((p) => {
        const at = p.indexOf(': ');
        return { field: `--fault-plan.${p.slice(0, at)}`, message: p.slice(at + 2) };
      }),
    });
  }
  return plan as FaultPlan;
}

/** Shows what a waiting run is doing: its pending activity and attempt, polled once a second. */
async function watch(handle: WorkflowHandle, outcome: Promise<RunOutcome>, progress: Progress, label: string): Promise<RunOutcome> {
  let settled = false;
  void outcome.finally(() => (settled = true)).catch(() => undefined);
  while (!settled) {
    await Promise.race([outcome.catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
    if (settled) break;
    const pending = (await handle.describe().catch(() => undefined))?.raw.pendingActivities?.[0];
    const doing = pending
      ? `${pending.activityType?.name ?? 'activity'} (attempt ${pending.attempt ?? 1}` +
        (pending.lastFailure?.message ? `, last failure: ${pending.lastFailure.message}` : '') +
        ')'
      : 'waiting';
    progress.update(`${label}: ${doing}`);
  }
  return outcome;
}

/** Waits for a run with progress, and turns its outcome into output (exit 1 unless completed). */
export async function awaitOutcome(handle: WorkflowHandle, label: string, extra: Record<string, unknown> = {}): Promise<CommandOutput> {
  const outcome = await withProgress(
    `${label}: waiting for the result`,
    (progress) => watch(handle, waitForOutcome(handle), progress, label),
    (o) => ({ ok: o.status === 'COMPLETED', text: `${label}: ${o.status}` }),
  );
  const json = { ...extra, ...outcome };
  if (outcome.status === 'COMPLETED') {
    return ok(json, `${outcome.workflowId} (run ${outcome.runId}) completed:\n${JSON.stringify(outcome.result, null, 2)}`);
  }
  return unsatisfied(
    json,
    `${outcome.workflowId} (run ${outcome.runId}) ended ${outcome.status}` +
      (outcome.failure ? `:\n  ${formatChain(outcome.failure)}` : ''),
  );
}

/** `steadfast start <workflowType> --input <json|@file> [--id] [--wait] [--fault-plan]`. */
export async function start(conn: CliConnection, workflowType: string, opts: StartOptions): Promise<CommandOutput> {
  const { spec, input, faultPlan, workflowId } = prepareStart(workflowType, opts);
  const handle = await conn.client.workflow.start(spec.workflow, {
    taskQueue: conn.taskQueue,
    workflowId,
    args: [input],
    // Steadfast's workflow task timeout is a start option: without it a run that lost its worker
    // mid-task waits for the server's default (10 s) before another worker takes the task over.
    ...workflowStartOptions(),
    ...(faultPlan ? { memo: { [FAULT_PLAN_MEMO_KEY]: faultPlan } } : {}),
  });
  const started = { workflowId, runId: handle.firstExecutionRunId, type: workflowType, taskQueue: conn.taskQueue, namespace: conn.namespace };
  if (!opts.wait) {
    return ok(started, `started ${workflowType} ${workflowId} (run ${started.runId}) on task queue ${conn.taskQueue}`);
  }
  return awaitOutcome(handle, `${workflowType} ${workflowId}`, started);
}

/** `steadfast status <id>`: the run's summary, pending activities and trail. */
export async function status(conn: CliConnection, workflowId: string, runId?: string): Promise<CommandOutput> {
  const handle = conn.client.workflow.getHandle(workflowId, runId);
  const description = await handle.describe();
  const run = summarize(description);
  const pendingActivities = (description.raw.pendingActivities ?? []).map((p) => ({
    activityType: p.activityType?.name ?? '?',
    attempt: p.attempt ?? 1,
    ...(p.lastFailure?.message ? { lastFailure: p.lastFailure.message } : {}),
  }));
  const runHandle = conn.client.workflow.getHandle(workflowId, run.runId);
  const trail = await trailOf(runHandle);
  const stuck = stuckWorkflowTask(description, (await runHandle.fetchHistory()).events ?? []);
  const pendingText = pendingActivities.map((p) => `\npending       ${p.activityType}, attempt ${p.attempt}${p.lastFailure ? ` (last failure: ${p.lastFailure})` : ''}`).join('');
  return ok(
    { ...run, ...(stuck ? { stuck } : {}), pendingActivities, trail },
    `${formatSummary(run, stuck && formatStuck(stuck))}${pendingText}\ntrail:\n${formatTrail(trail)}`,
  );
}

/** `steadfast result <id>`: waits for the run (unless --no-wait) and prints its result or failure. */
export async function result(conn: CliConnection, workflowId: string, opts: { wait: boolean }): Promise<CommandOutput> {
  const handle = conn.client.workflow.getHandle(workflowId);
  if (!opts.wait) {
    const { status: s, runId } = await handle.describe();
    if (s.name === 'RUNNING') {
      return unsatisfied({ workflowId, runId, status: s.name }, `${workflowId} (run ${runId}) is still RUNNING`);
    }
  }
  return awaitOutcome(handle, workflowId);
}

/** Reads and validates a handler's `--arg` against the run's workflow type, when it is registered. */
async function handlerArgs(handle: WorkflowHandle, kind: HandlerKind, name: string, arg: string | undefined): Promise<unknown[]> {
  const { type } = await handle.describe();
  const spec = workflowRegistry().get(type);
  if (!spec) return arg === undefined ? [] : [readJson('--arg', arg)];
  const schema = lookupHandler(spec, kind, name);
  if (schema === null) {
    if (arg !== undefined) {
      throw new UsageError({ message: `--arg: the ${kind} "${name}" of ${type} takes no argument`, field: '--arg', expected: 'no --arg' });
    }
    return [];
  }
  if (arg === undefined) {
    throw new UsageError({
      code: 'missing-argument',
      message: `--arg: the ${kind} "${name}" of ${type} needs an argument (JSON or @file)`,
      field: '--arg',
      expected: 'a JSON argument',
    });
  }
  return [validate('--arg', schema, readJson('--arg', arg), `the argument of ${kind} "${name}" of ${type}`)];
}

/** `steadfast signal <id> <name> [--arg json]`. */
export async function signal(conn: CliConnection, workflowId: string, name: string, arg?: string): Promise<CommandOutput> {
  const handle = conn.client.workflow.getHandle(workflowId);
  const args = await handlerArgs(handle, 'signal', name, arg);
  await handle.signal(name, ...args);
  return ok({ workflowId, signal: name, args }, `signalled ${name} to ${workflowId}`);
}

/** `steadfast query <id> <name> [--arg json]`. */
export async function query(conn: CliConnection, workflowId: string, name: string, arg?: string): Promise<CommandOutput> {
  const handle = conn.client.workflow.getHandle(workflowId);
  const args = await handlerArgs(handle, 'query', name, arg);
  const answer: unknown = await handle.query(name, ...args);
  return ok({ workflowId, query: name, result: answer }, JSON.stringify(answer, null, 2));
}

/** `steadfast update <id> <name> [--arg json]`: waits for the update's result; exit 1 if rejected. */
export async function update(conn: CliConnection, workflowId: string, name: string, arg?: string): Promise<CommandOutput> {
  const handle = conn.client.workflow.getHandle(workflowId);
  const args = await handlerArgs(handle, 'update', name, arg);
  const answer: unknown = args.length ? await handle.executeUpdate(name, { args: args as [unknown] }) : await handle.executeUpdate(name);
  return ok({ workflowId, update: name, result: answer }, JSON.stringify(answer, null, 2));
}

/** `steadfast cancel <id>`: requests cancellation (the workflow decides how to wind down). */
export async function cancel(conn: CliConnection, workflowId: string): Promise<CommandOutput> {
  const handle = conn.client.workflow.getHandle(workflowId);
  await handle.cancel();
  return ok({ workflowId, cancelRequested: true }, `cancellation of ${workflowId} requested`);
}

/** `steadfast terminate <id> [--reason]`: ends the run at once, without running any workflow code. */
export async function terminate(conn: CliConnection, workflowId: string, reason: string): Promise<CommandOutput> {
  const handle = conn.client.workflow.getHandle(workflowId);
  const { status: s } = await handle.describe();
  if (s.name !== 'RUNNING') {
    throw new OperationError({
      code: 'not-running',
      message: `<id>: ${workflowId} is ${s.name}, not RUNNING; only a running workflow can be terminated`,
      field: '<id>',
      expected: 'the id of a running workflow',
    });
  }
  await handle.terminate(reason);
  return ok({ workflowId, terminated: true, reason }, `terminated ${workflowId}: ${reason}`);
}
