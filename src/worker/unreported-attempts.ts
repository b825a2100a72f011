/**
 * Activity attempts a dead worker process held but never reported to its supervisor.
 *
 * A supervised worker reports an attempt when the attempt's function starts. The server marks the
 * attempt started earlier, when the worker's poll takes the task; a worker killed in between (busy
 * at its start, say) held attempts its supervisor never heard of, and those waited for their
 * start-to-close or heartbeat timeout (10 s in the chaos runs). The server knows them: each is a
 * pending activity in the state STARTED whose last worker is the dead one. This finds them among
 * the runs the supervisor knows, so that it can fail them by id through the async-completion API.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { GRPC_STATUS, grpcCode } from '../platform/grpc-status';

const { PendingActivityState } = temporal.api.enums.v1;

/** The most runs described per dead worker (the newest cached first). */
export const MAX_RUNS_DESCRIBED = 500;

/** An attempt the server holds as started by a worker. */
export interface HeldAttempt {
  workflowId: string;
  runId: string;
  activityId: string;
  activityType: string;
}

/**
 * The attempts that `identity` started and still holds, in the newest {@link MAX_RUNS_DESCRIBED}
 * of `executions`, except those `known` (keys from {@link attemptKey}). A worker's identity names
 * one process (`steadfast-worker-<pid>@<host>`, or the configured one with the supervisor's slot
 * and generation), so a survivor's retry never matches.
 */
export async function findHeldAttempts(
  client: Client,
  identity: string,
  executions: { workflowId: string; runId: string }[],
  known: ReadonlySet<string>,
): Promise<{ attempts: HeldAttempt[]; errors: string[] }> {
  const namespace = client.options.namespace;
  const errors: string[] = [];
  const found = await Promise.all(
    executions
      .slice(-MAX_RUNS_DESCRIBED)
      .reverse()
      .map(async (execution) => {
        try {
          const d = await client.workflowService.describeWorkflowExecution({ namespace, execution });
          return (d.pendingActivities ?? [])
            .filter(
              (a) =>
                a.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED &&
                a.lastWorkerIdentity === identity &&
                !known.has(attemptKey(execution.workflowId, execution.runId, a.activityId ?? '')),
            )
            .map((a) => ({ ...execution, activityId: a.activityId ?? '', activityType: a.activityType?.name ?? 'activity' }));
        } catch (e) {
          // A closed and deleted run holds nothing.
          if (grpcCode(e) !== GRPC_STATUS.NOT_FOUND) errors.push(`describing ${execution.workflowId}: ${(e as Error).message}`);
          return [];
        }
      }),
  );
  return { attempts: found.flat(), errors };
}

/** The key of an attempt in `known`. */
export function attemptKey(workflowId: string, runId: string, activityId: string): string {
  return `${workflowId}\0${runId}\0${activityId}`;
}
