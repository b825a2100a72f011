/**
 * Reading runs for the CLI (and scripts): a run's summary from visibility, its outcome once it
 * closes, and the Steadfast fault attributes it carries.
 */
import { type WorkflowExecutionInfo, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { SteadfastCompensated, SteadfastFaultKinds, SteadfastFaults } from '../common/search-attributes';
import { causeChain, type CauseLink } from './failures';

/** What `SteadfastFaults`, `SteadfastFaultKinds` and `SteadfastCompensated` say about a run. */
export interface FaultAttributes {
  /** `SteadfastFaults`: how many faults the run recorded (0 when none). */
  count: number;
  /** `SteadfastFaultKinds`: the kinds of fault it saw (`RecordedFaultKind`: `retried`, `compensated`, …). */
  kinds: string[];
  /** `SteadfastCompensated`: true once a saga of the run ran its compensations. */
  compensated: boolean;
}

/** One run, as `status`, `list` and `faults` print it. */
export interface RunSummary {
  /** The run's workflow id. */
  workflowId: string;
  /** The run's id. */
  runId: string;
  /** The workflow type name. */
  type: string;
  /** `RUNNING`, `COMPLETED`, `FAILED`, `CANCELLED`, `TERMINATED`, `CONTINUED_AS_NEW`, `TIMED_OUT`. */
  status: string;
  /** The task queue the run was started on. */
  taskQueue: string;
  /** When the run started, as an ISO 8601 string (UTC). */
  startTime: string;
  /** When the run closed, as an ISO 8601 string (UTC); absent while it runs. */
  closeTime?: string;
  /** How many events its history holds, as visibility last recorded it. */
  historyLength: number;
  /** What Steadfast's search attributes say about its faults. */
  faults: FaultAttributes;
}

/** A closed run's outcome: its result, or the cause chain of its failure. */
export interface RunOutcome {
  /** The run's workflow id. */
  workflowId: string;
  /** The id of the run that closed last (after resets and continue-as-new, not the first one). */
  runId: string;
  /** Its status name: `COMPLETED`, `FAILED`, `CANCELLED`, `TERMINATED`, `TIMED_OUT`, … */
  status: string;
  /** What the workflow returned, when it completed. */
  result?: unknown;
  /** The cause chain of its failure, outer first, when it did not complete. */
  failure?: CauseLink[];
}

/** The fault attributes of a run (zero/empty/false when it never recorded one). */
export function faultAttributes(info: Pick<WorkflowExecutionInfo, 'typedSearchAttributes'>): FaultAttributes {
  const sa = info.typedSearchAttributes;
  return {
    count: sa.get(SteadfastFaults) ?? 0,
    kinds: sa.get(SteadfastFaultKinds) ?? [],
    compensated: sa.get(SteadfastCompensated) ?? false,
  };
}

/** A run's summary from its visibility record. */
export function summarize(info: Omit<WorkflowExecutionInfo, 'raw'>): RunSummary {
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    type: info.type,
    status: info.status.name,
    taskQueue: info.taskQueue,
    startTime: info.startTime.toISOString(),
    ...(info.closeTime ? { closeTime: info.closeTime.toISOString() } : {}),
    historyLength: info.historyLength,
    faults: faultAttributes(info),
  };
}

/**
 * Waits until the run (following resets and continue-as-new) closes, and returns its outcome.
 * A failed, cancelled, terminated or timed-out run is an outcome here, not an exception; other
 * errors (the server cannot be reached, the run does not exist) reject.
 *
 * @example
 * const outcome = await waitForOutcome(client.workflow.getHandle(workflowId));
 * if (outcome.failure) console.error(`${outcome.status}: ${formatChain(outcome.failure)}`);
 * else console.log(outcome.result);
 */
export async function waitForOutcome(handle: WorkflowHandle): Promise<RunOutcome> {
  let result: unknown;
  let failure: CauseLink[] | undefined;
  try {
    result = await handle.result();
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    failure = causeChain(err.cause);
  }
  // The handle may have followed the chain to a newer run: describe the one that closed last.
  const latest = await handle.client.getHandle(handle.workflowId).describe();
  return {
    workflowId: latest.workflowId,
    runId: latest.runId,
    status: latest.status.name,
    ...(failure ? { failure } : { result }),
  };
}

/** One line per field, for terminals. `stuck` describes a workflow task that keeps failing. */
export function formatSummary(run: RunSummary, stuck?: string): string {
  const recorded = run.faults.count || run.faults.compensated
    ? `${run.faults.count} fault(s) [${run.faults.kinds.join(', ')}]${run.faults.compensated ? ', compensated' : ''}`
    : undefined;
  const faults = [stuck, recorded].filter(Boolean).join('; ') || 'none recorded';
  return [
    `workflow id   ${run.workflowId}`,
    `run id        ${run.runId}`,
    `type          ${run.type}`,
    `status        ${run.status}`,
    `task queue    ${run.taskQueue}`,
    `started       ${run.startTime}`,
    ...(run.closeTime ? [`closed        ${run.closeTime}`] : []),
    `history       ${run.historyLength} events`,
    `faults        ${faults}`,
  ].join('\n');
}
