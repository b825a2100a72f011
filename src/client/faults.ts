/**
 * `steadfast faults`: the runs that failed, timed out, were compensated or needed retries, found
 * with ONE visibility query over `ExecutionStatus` and Steadfast's search attributes
 * (`workflows/search-attributes.ts`), never by scanning histories. Only the runs it finds have
 * their history read, to give each its failure cause chain and the steps that faulted.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SteadfastCompensated, SteadfastFaults } from '../common/search-attributes';
import { protoCauseChain, formatChain, type CauseLink } from './failures';
import { summarize, type RunSummary } from './runs';
import { trailFromEvents, type TrailStep } from './trail';

const { EventType } = temporal.api.enums.v1;

/** A string literal in a visibility query. */
export function queryLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The visibility query of `faults`: troubled runs, optionally of one type and since a time. */
export function faultsQuery({ since, type }: { since?: Date; type?: string } = {}): string {
  const troubled =
    `(ExecutionStatus = 'Failed' OR ExecutionStatus = 'TimedOut' ` +
    `OR ${SteadfastFaults.name} > 0 OR ${SteadfastCompensated.name} = true)`;
  return [
    troubled,
    ...(since ? [`StartTime >= ${queryLiteral(since.toISOString())}`] : []),
    ...(type ? [`WorkflowType = ${queryLiteral(type)}`] : []),
  ].join(' AND ');
}

/** One troubled run. */
export interface FaultReport extends RunSummary {
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

/** Runs the faults query and reads the details of (at most `limit`) runs it finds, newest first. */
export async function findFaults(
  client: Client,
  opts: { since?: Date; type?: string; limit: number },
): Promise<{ query: string; runs: FaultReport[] }> {
  const query = faultsQuery(opts);
  const runs: FaultReport[] = [];
  for await (const info of client.workflow.list({ query })) {
    if (runs.length >= opts.limit) break;
    const history = await client.workflow.getHandle(info.workflowId, info.runId).fetchHistory();
    runs.push({ ...summarize(info), ...faultDetails(history.events ?? []) });
  }
  return { query, runs };
}
