/**
 * Reading runs for the CLI (and scripts): a run's summary from visibility, its outcome once it
 * closes, and the Steadfast fault attributes it carries.
 */
import { type WorkflowExecutionInfo, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { SteadfastCompensated, SteadfastFaultKinds, SteadfastFaults } from '../common/search-attributes';
import { causeChain, type CauseLink } from './failures';

/** What `SteadfastFaults`, `SteadfastFaultKinds` and `SteadfastCompensated` say about a run. */
export interface FaultAttributes {
  count: number;
  kinds: string[];
  compensated: boolean;
}

/** One run, as `status`, `list` and `faults` print it. */
export interface RunSummary {
  workflowId: string;
  runId: string;
  type: string;
  /** `RUNNING`, `COMPLETED`, `FAILED`, `CANCELLED`, `TERMINATED`, `CONTINUED_AS_NEW`, `TIMED_OUT`. */
  status: string;
  taskQueue: string;
  startTime: string;
  closeTime?: string;
  historyLength: number;
  faults: FaultAttributes;
}

/** A closed run's outcome: its result, or the cause chain of its failure. */
export interface RunOutcome {
  workflowId: string;
  runId: string;
  status: string;
  result?: unknown;
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
 * A failed, cancelled, terminated or timed-out run is an outcome here, not an exception.
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
