/**
 * Rolling a run back to its last valid state: a Temporal reset to a workflow task. The new run
 * keeps the history up to that task (so effects that landed before it are not repeated), replays
 * it on today's workflow code, re-runs the task, and gets the signals received after it again.
 *
 * `last-good` is the last WorkflowTaskCompleted before the run's first failure: the task whose
 * decisions led to the failure is the one that runs again, on the fixed code.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import Long from 'long';

const { EventType, ResetReapplyType, WorkflowTaskFailedCause } = temporal.api.enums.v1;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Event types a reset may target (the `workflow_task_finish_event_id` of the API). */
export const RESET_POINT_TYPES: ReadonlySet<temporal.api.enums.v1.EventType> = new Set([
  EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
]);

/** Events that mean "something failed for good" (a retried attempt is not one of them). */
const FAILURE_TYPES: ReadonlySet<temporal.api.enums.v1.EventType> = new Set([
  EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
  EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
  EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
  EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
  EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
]);

/** The name of an event type without its prefix, e.g. `ActivityTaskFailed`. */
export function eventTypeName(type: temporal.api.enums.v1.EventType | null | undefined): string {
  const name = EventType[type ?? 0] ?? String(type);
  return name
    .replace(/^EVENT_TYPE_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_m, _s, c: string) => c.toUpperCase());
}

/**
 * Workflow-task failures that are bookkeeping, not a failure of the run: the one a reset records,
 * and a task moved off a sticky queue with the cause the API defines for that (a supervisor draining
 * a dead worker's queue records it).
 */
const BOOKKEEPING_CAUSES: ReadonlySet<temporal.api.enums.v1.WorkflowTaskFailedCause> = new Set([
  WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW,
  WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_STICKY_TASK_QUEUE,
]);

/** The first failure event, ignoring the workflow-task failures that are bookkeeping (a reset's, a sticky queue's). */
export function firstFailure(events: HistoryEvent[]): HistoryEvent | undefined {
  return events.find(
    (e) => FAILURE_TYPES.has(e.eventType!) && !BOOKKEEPING_CAUSES.has(e.workflowTaskFailedEventAttributes?.cause ?? WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED),
  );
}

/** Where `last-good` points, and why. */
export interface LastGood {
  /** The event to reset to: a WorkflowTaskCompleted (or the first WorkflowTaskStarted), for {@link resetRun}. */
  eventId: number;
  /** The first failure it rolls back past. */
  failure: { eventId: number; type: string };
}

/**
 * The last WorkflowTaskCompleted before the first failure (or, if the very first workflow task
 * failed, that task's WorkflowTaskStarted: the run starts over). Undefined when nothing failed.
 *
 * @example
 * const handle = client.workflow.getHandle(workflowId);
 * const { runId } = await handle.describe();
 * const good = lastGood((await handle.fetchHistory()).events ?? []);
 * if (good) {
 *   const newRunId = await resetRun(client, { workflowId, runId, eventId: good.eventId, reason: 'fixed the bug' });
 * }
 */
export function lastGood(events: HistoryEvent[]): LastGood | undefined {
  const failure = firstFailure(events);
  if (!failure) return undefined;
  const failureId = Number(failure.eventId);
  const before = events.filter((e) => Number(e.eventId) < failureId);
  const point =
    before.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).at(-1) ??
    before.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
  if (!point) return undefined;
  return { eventId: Number(point.eventId), failure: { eventId: failureId, type: eventTypeName(failure.eventType) } };
}

/**
 * Resets run `runId` of `workflowId` to event `eventId`, reapplying the signals received after
 * it. Returns the new run's id. `eventId` must be a reset point (see {@link RESET_POINT_TYPES};
 * {@link lastGood} finds one); `reason` is recorded in the history. The server's refusal (an
 * unknown run, an event that is not a reset point) rejects with its gRPC error.
 *
 * @example
 * const newRunId = await resetRun(client, { workflowId, runId, eventId: good.eventId, reason: 'fixed the bug' });
 * await client.workflow.getHandle(workflowId, newRunId).result();
 */
export async function resetRun(
  client: Client,
  { workflowId, runId, eventId, reason }: { workflowId: string; runId: string; eventId: number; reason: string },
): Promise<string> {
  const response = await client.workflowService.resetWorkflowExecution({
    namespace: client.options.namespace,
    workflowExecution: { workflowId, runId },
    workflowTaskFinishEventId: Long.fromNumber(eventId),
    reason,
    requestId: randomUUID(),
    resetReapplyType: ResetReapplyType.RESET_REAPPLY_TYPE_SIGNAL,
  });
  return response.runId;
}
