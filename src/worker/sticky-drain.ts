/**
 * Draining a dead worker's sticky queue, through Temporal's public API.
 *
 * A worker that completes a workflow task asks for the run's next tasks on its own sticky queue.
 * When the worker process dies, a task already queued there waits out the sticky schedule-to-start
 * timeout before the server moves it to the shared queue. Resetting the run's sticky queue does not
 * help that task: the reset changes where *later* tasks go, and the queued one can then no longer
 * be handed out at all, so it still waits for its timeout (a probe on the dev server, 2026-12-02).
 *
 * What moves it at once: poll the sticky queue, and fail the task with the cause the API defines
 * for it, `RESET_STICKY_TASK_QUEUE`. The server clears
 * the run's stickiness, writes WorkflowTaskFailed (which replay ignores) and schedules the next task
 * on the shared queue, where a survivor picks it up and replays the history. So the supervisor
 * drains the dead queue *while* it resets the runs' sticky queues, and stops once the resets are
 * done: from then on, no task is sent to the dead queue.
 *
 * What it cannot move: a task the server handed to the dead worker's last poll before it noticed
 * that the connection closed. That task is started, by no one, and waits out the workflow task
 * timeout, like a task in flight when the worker died (docs/FAILOVER.md lists both). On a loaded
 * 2-core machine, 2 of 12 kills followed at once by a signal hit this window (2026-12-03).
 *
 * The sticky queue's name is the worker's identity and a random suffix (the SDK's core makes it); the
 * supervisor reads it from the history of a run the dead worker had cached, where the workflow task
 * scheduled on it names it.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { GRPC_STATUS, grpcCode } from '../platform/grpc-status';

const { EventType, TaskQueueKind, WorkflowTaskFailedCause } = temporal.api.enums.v1;

/** The identity the supervisor's polls and failures carry in histories. */
export const DRAIN_IDENTITY = 'steadfast-supervisor';

/** How many runs' histories are read, newest first, to find the dead worker's sticky queue. */
const HISTORIES_TO_READ = 8;

/** Events read from the end of each history: the workflow task scheduled on the sticky queue is among the last. */
const TAIL_EVENTS = 12;

/**
 * A poll's deadline. The frontend answers a long poll with an empty response 1 s before its
 * deadline, and refuses deadlines under 2 s: this returns after about 1.1 s when the queue is empty.
 */
const POLL_DEADLINE_MS = 2_100;

/** A worker's sticky queue, as the server names it. */
export interface StickyQueue {
  name: string;
  normalName: string;
}

/**
 * Finds the sticky queue of the worker whose identity is `identity`, from the tails of the
 * histories of runs it had cached (the newest first): the last workflow task scheduled on a sticky
 * queue named as the SDK's core names that worker's: its identity, a dash and 32 hex digits. Undefined when none of those runs has had a task on it
 * yet.
 */
export async function findStickyQueue(
  client: Client,
  identity: string,
  executions: { workflowId: string; runId: string }[],
): Promise<StickyQueue | undefined> {
  const namespace = client.options.namespace;
  const own = new RegExp(`^${identity.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[0-9a-f]{32}$`);
  const newest = executions.slice(-HISTORIES_TO_READ).reverse();
  const found = await Promise.all(
    newest.map(async (execution) => {
      try {
        const res = await client.workflowService.getWorkflowExecutionHistoryReverse({ namespace, execution, maximumPageSize: TAIL_EVENTS });
        for (const e of res.history?.events ?? []) {
          if (e.eventType !== EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED) continue;
          const q = e.workflowTaskScheduledEventAttributes?.taskQueue;
          if (q?.kind === TaskQueueKind.TASK_QUEUE_KIND_STICKY && q.name && own.test(q.name)) {
            return { name: q.name, normalName: q.normalName ?? '' };
          }
        }
      } catch {
        // A run deleted or out of retention tells nothing; the others may.
      }
      return undefined;
    }),
  );
  return found.find((q) => q !== undefined);
}

/** What a drain did. */
export interface DrainResult {
  /** Workflow tasks taken from the dead queue and failed, so that they moved to the shared queue. */
  bounced: number;
  errors: string[];
}

/**
 * Polls `queue` and fails every workflow task on it with the cause `RESET_STICKY_TASK_QUEUE`, until
 * `until` has settled and one more poll found the queue empty. Keep a poll outstanding while the
 * runs' sticky queues are reset: a task queued before its run's reset is then handed to the drain
 * at once, instead of waiting out the sticky timeout.
 */
export async function drainStickyQueue(client: Client, queue: StickyQueue, until: Promise<unknown>): Promise<DrainResult> {
  const namespace = client.options.namespace;
  let done = false;
  void until.finally(() => (done = true));
  const result: DrainResult = { bounced: 0, errors: [] };
  for (;;) {
    const doneBeforePoll = done;
    let token: Uint8Array | null | undefined;
    try {
      const task = await client.connection.withDeadline(Date.now() + POLL_DEADLINE_MS, () =>
        client.workflowService.pollWorkflowTaskQueue({
          namespace,
          taskQueue: { name: queue.name, kind: TaskQueueKind.TASK_QUEUE_KIND_STICKY, normalName: queue.normalName },
          identity: DRAIN_IDENTITY,
        }),
      );
      token = task.taskToken;
    } catch (e) {
      // A deadline that passed before the server answered is an empty poll too.
      if (grpcCode(e) !== GRPC_STATUS.DEADLINE_EXCEEDED) {
        result.errors.push(`draining the sticky queue ${queue.name}: ${(e as Error).message}`);
        return result;
      }
    }
    if (token && token.length > 0) {
      try {
        await client.workflowService.respondWorkflowTaskFailed({
          namespace,
          taskToken: token,
          identity: DRAIN_IDENTITY,
          cause: WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_STICKY_TASK_QUEUE,
        });
        result.bounced++;
      } catch (e) {
        result.errors.push(`moving a task off the sticky queue ${queue.name}: ${(e as Error).message}`);
      }
    } else if (doneBeforePoll) {
      return result;
    }
  }
}
