/**
 * `steadfast faults`: the runs that failed, timed out, were compensated or needed retries, found
 * with ONE visibility query over `ExecutionStatus` and Steadfast's search attributes
 * (`STEADFAST_SEARCH_ATTRIBUTES`), never by scanning histories. Only the runs it finds have
 * their history read, to give each its failure cause chain and the steps that faulted.
 *
 * Stuck runs are faults too: a run whose workflow task keeps failing (a workflow bug, a
 * non-determinism error) stays RUNNING and records nothing itself. The server marks such runs with
 * its `TemporalReportedProblems` search attribute, which the same query matches; on a server
 * without that attribute, `faults` describes the running runs (a bounded number) and keeps those
 * whose pending workflow task has failed before.
 */
import { isGrpcServiceError, type Client, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { fetchDecodedHistory } from '../codec';
import { SteadfastCompensated, SteadfastFaults } from '../common/search-attributes';
import { protoCauseChain, formatChain, type CauseLink } from './failures';
import { summarize, type RunSummary } from './runs';
import { trailFromEvents, type TrailStep } from './trail';

const { EventType } = temporal.api.enums.v1;

/** A string literal in a visibility query. */
export function queryLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * The search attribute the server (1.30 and later) sets on a run after repeated workflow task
 * failures, e.g. `["category=WorkflowTaskFailed", "cause=WorkflowTaskFailedCauseWorkflowWorkerUnhandledFailure"]`,
 * and clears when a workflow task succeeds.
 */
export const REPORTED_PROBLEMS = 'TemporalReportedProblems';

/** The visibility query of `faults`: troubled runs, optionally of one type and since a time. */
export function faultsQuery({
  since,
  type,
  reportedProblems = true,
}: { since?: Date; type?: string; reportedProblems?: boolean } = {}): string {
  const troubled =
    `(ExecutionStatus = 'Failed' OR ExecutionStatus = 'TimedOut' ` +
    `OR ${SteadfastFaults.name} > 0 OR ${SteadfastCompensated.name} = true` +
    (reportedProblems ? ` OR (ExecutionStatus = 'Running' AND ${REPORTED_PROBLEMS} IS NOT NULL)` : '') +
    ')';
  return [
    troubled,
    ...(since ? [`StartTime >= ${queryLiteral(since.toISOString())}`] : []),
    ...(type ? [`WorkflowType = ${queryLiteral(type)}`] : []),
  ].join(' AND ');
}

/** A run whose workflow task keeps failing: it cannot move until its code (or input) is fixed. */
export interface StuckWorkflowTask {
  /** The attempt the pending workflow task is on (the first failure makes it 2). */
  attempt: number;
  /** The server's `TemporalReportedProblems`, when it set them. */
  reportedProblems: string[];
  /** The failure of the last workflow task failure in the history, outer first. */
  failure?: CauseLink[];
  /** Its cause as the server records it, e.g. `WORKFLOW_WORKER_UNHANDLED_FAILURE`. */
  cause?: string;
}

/** One troubled run. */
export interface FaultReport extends RunSummary {
  /** Set when the run is RUNNING with a workflow task that keeps failing. */
  stuck?: StuckWorkflowTask;
  /** The run's own failure, outer first (failed and timed-out runs). */
  failure?: CauseLink[];
  /** Activities that needed retries or failed for good. */
  faultySteps: Pick<TrailStep, 'name' | 'attempts' | 'outcome' | 'lastFailure'>[];
  /** Every cause in one line each: the run's failure chain, then each faulty step. */
  causes: string[];
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The failure cause chain and faulty steps of one run, from its history. */
export function faultDetails(events: HistoryEvent[]): Pick<FaultReport, 'failure' | 'faultySteps' | 'causes'> {
  const last = events[events.length - 1];
  const failure = last?.workflowExecutionFailedEventAttributes
    ? protoCauseChain(last.workflowExecutionFailedEventAttributes.failure)
    : last?.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT
      ? [{ kind: 'TimeoutFailure', message: 'workflow execution timed out' }]
      : undefined;
  const faultySteps = trailFromEvents(events)
    .filter((s) => s.kind === 'activity' && ((s.attempts ?? 1) > 1 || s.outcome === 'failed' || s.outcome === 'timed-out'))
    .map(({ name, attempts, outcome, lastFailure }) => ({ name, attempts, outcome, lastFailure }));
  const causes = [
    ...(failure ? [formatChain(failure)] : []),
    ...faultySteps.map(
      (s) => `${s.name}: ${s.outcome} after ${s.attempts ?? 1} attempt(s)${s.lastFailure ? `; last failure: ${s.lastFailure}` : ''}`,
    ),
  ];
  return { ...(failure ? { failure } : {}), faultySteps, causes };
}

/** A keyword list search attribute of a description, read without knowing its registration. */
function keywordList(description: WorkflowExecutionDescription, name: string): string[] {
  const value = description.searchAttributes?.[name];
  return Array.isArray(value) ? value.map(String) : [];
}

/**
 * Whether a run's workflow task keeps failing, from its description and history: `undefined` for a
 * closed run, or one whose pending workflow task (if any) has not failed.
 */
export function stuckWorkflowTask(description: WorkflowExecutionDescription, events: HistoryEvent[]): StuckWorkflowTask | undefined {
  if (description.status.name !== 'RUNNING') return undefined;
  const attempt = description.raw.pendingWorkflowTask?.attempt ?? 0;
  const reportedProblems = keywordList(description, REPORTED_PROBLEMS);
  if (attempt < 2 && reportedProblems.length === 0) return undefined;
  // Only the first failure of a series is written to the history; later attempts are transient.
  const failed = [...events].reverse().find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
  const attrs = failed?.workflowTaskFailedEventAttributes;
  const cause = attrs?.cause ? temporal.api.enums.v1.WorkflowTaskFailedCause[attrs.cause]?.replace(/^WORKFLOW_TASK_FAILED_CAUSE_/, '') : undefined;
  return {
    attempt,
    reportedProblems,
    ...(attrs?.failure ? { failure: protoCauseChain(attrs.failure) } : {}),
    ...(cause ? { cause } : {}),
  };
}

/** One line for a stuck run: what fails and how often. */
export function formatStuck(stuck: StuckWorkflowTask): string {
  const why = stuck.failure ? formatChain(stuck.failure) : stuck.reportedProblems.join(', ') || 'no failure recorded';
  return `workflow task failing (attempt ${stuck.attempt}${stuck.cause ? `, ${stuck.cause}` : ''}): ${why}; the run cannot move until the workflow code or its input is fixed`;
}

/** A run's fault report: its summary, failure chain, faulty steps and, for a stuck run, why. */
async function faultReport(handle: WorkflowHandle, description: WorkflowExecutionDescription): Promise<FaultReport> {
  const events = (await fetchDecodedHistory(handle)).events ?? [];
  const details = faultDetails(events);
  const stuck = stuckWorkflowTask(description, events);
  return {
    ...summarize(description),
    ...(stuck ? { stuck } : {}),
    ...details,
    causes: [...(stuck ? [formatStuck(stuck)] : []), ...details.causes],
  };
}

/** gRPC's INVALID_ARGUMENT: what a server answers to a query over a search attribute it does not know. */
const GRPC_INVALID_ARGUMENT = 3;

function isInvalidQuery(err: unknown): boolean {
  return isGrpcServiceError(err) && err.code === GRPC_INVALID_ARGUMENT;
}

/** How many running runs `findFaults` describes on a server without `TemporalReportedProblems`. */
export const STUCK_SCAN_LIMIT = 200;

/**
 * Runs the faults query and reads the details of (at most `limit`) runs it finds, newest first,
 * stuck runs included. `since` keeps runs started at or after it; `type` keeps one workflow type.
 * Resolves with the query that was run (to paste into the Web UI or `temporal workflow list`) and
 * the runs. On a server without `TemporalReportedProblems` it falls back to describing at most
 * {@link STUCK_SCAN_LIMIT} running runs; any other server error rejects.
 *
 * @example
 * const { query, runs } = await findFaults(client, { since: new Date(Date.now() - 3_600_000), limit: 20 });
 * for (const run of runs) console.log(run.workflowId, run.status, run.causes.join('; '));
 */
export async function findFaults(
  client: Client,
  opts: { since?: Date; type?: string; limit: number },
): Promise<{ query: string; runs: FaultReport[] }> {
  const runs: FaultReport[] = [];
  const collect = async (query: string, keep: (r: FaultReport) => boolean, scanLimit = Infinity) => {
    let scanned = 0;
    for await (const info of client.workflow.list({ query })) {
      if (runs.length >= opts.limit || scanned++ >= scanLimit) break;
      const handle = client.workflow.getHandle(info.workflowId, info.runId);
      const report = await faultReport(handle, await handle.describe());
      if (keep(report)) runs.push(report);
    }
  };
  const query = faultsQuery(opts);
  try {
    await collect(query, () => true);
    return { query, runs };
  } catch (err) {
    if (!isInvalidQuery(err) || runs.length) throw err;
  }
  // The server does not know TemporalReportedProblems: find stuck runs by describing running ones.
  const plain = faultsQuery({ ...opts, reportedProblems: false });
  await collect(plain, () => true);
  const running = [
    `ExecutionStatus = 'Running'`,
    ...(opts.since ? [`StartTime >= ${queryLiteral(opts.since.toISOString())}`] : []),
    ...(opts.type ? [`WorkflowType = ${queryLiteral(opts.type)}`] : []),
  ].join(' AND ');
  const seen = new Set(runs.map((r) => r.runId));
  await collect(running, (r) => r.stuck !== undefined && !seen.has(r.runId), STUCK_SCAN_LIMIT);
  return { query: `${plain}; stuck: ${running} (pending workflow task failed)`, runs };
}
