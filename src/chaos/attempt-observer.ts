/**
 * Samples the server's pending-activity records of open runs, to catch the activity attempts that
 * failed and were retried: the server writes no history event for those (see `fault-records.ts`),
 * but while a run is open, `DescribeWorkflowExecution` shows each pending activity's current
 * attempt, the failure of the one before, and the server's times for it.
 *
 * Sampling is lossless as long as the interval is shorter than the retry policy's initial interval
 * (1 s for Steadfast's presets): after a failure the activity waits at least that long in the
 * SCHEDULED state, with the failure on display.
 */
import type { Client } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { failureTypeOf, type AttemptFailure } from './fault-records';

type DescribeResponse = temporal.api.workflowservice.v1.IDescribeWorkflowExecutionResponse;

const { PENDING_ACTIVITY_STATE_STARTED } = temporal.api.enums.v1.PendingActivityState;

/** A timestamp in ms; undefined when unset or zero (the server sends zero for "never"). */
function tsMs(ts: Parameters<typeof optionalTsToMs>[0]): number | undefined {
  const v = optionalTsToMs(ts);
  return v ? v : undefined;
}

/** Records failed activity attempts of the runs it is asked to sample. */
export class AttemptObserver {
  private readonly started = new Map<string, { at: number; identity?: string; heartbeatAt?: number }>();
  private readonly found = new Map<string, AttemptFailure>();

  constructor(
    private readonly client: Client,
    private readonly namespace: string,
  ) {}

  /** Describes one run, records what its pending activities show, and returns the description. */
  async sample(workflowId: string): Promise<DescribeResponse> {
    const d = await this.client.workflowService.describeWorkflowExecution({
      namespace: this.namespace,
      execution: { workflowId },
    });
    this.record(workflowId, d);
    return d;
  }

  /** Records the pending activities of a description (exposed for tests of the bookkeeping). */
  record(workflowId: string, d: DescribeResponse): void {
    for (const p of d.pendingActivities ?? []) {
      const activityId = p.activityId ?? '?';
      const attempt = p.attempt ?? 1;
      const key = (n: number) => `${workflowId}/${activityId}#${n}`;
      const identity = p.lastWorkerIdentity || undefined;
      if (p.state === PENDING_ACTIVITY_STATE_STARTED) {
        const at = tsMs(p.lastStartedTime);
        if (at !== undefined) this.started.set(key(attempt), { at, identity, heartbeatAt: tsMs(p.lastHeartbeatTime) });
      }
      if (attempt <= 1 || !p.lastFailure) continue;
      const failed = attempt - 1;
      const known = this.found.get(key(failed));
      if (known?.detectedAt !== undefined) continue;
      // After a failure the server stamps lastAttemptCompleteTime. After a timeout it does not
      // update it: it is empty, or still the time of an earlier attempt that failed (the 1.32 dev
      // server's currentRetryInterval echoes the next scheduled time, so the detection cannot be
      // read back from it either). extractFaultRecords derives it from the attempt's start and its
      // timeout, which is when the server's timer fires. A time before the attempt began is stale.
      const failureType = failureTypeOf(p.lastFailure);
      const start = this.started.get(key(failed));
      const stamped = tsMs(p.lastAttemptCompleteTime);
      const detectedAt =
        failureType?.startsWith('timeout:') || (stamped !== undefined && start !== undefined && stamped < start.at) ? undefined : stamped;
      this.found.set(key(failed), {
        workflowId,
        activityId,
        activityType: p.activityType?.name ?? '?',
        attempt: failed,
        startedAt: start?.at,
        lastHeartbeatAt: start?.heartbeatAt,
        detectedAt,
        failureType,
        failureMessage: p.lastFailure.message ?? undefined,
        workerIdentity: start?.identity ?? identity,
      });
    }
  }

  /**
   * Samples the given runs every `intervalMs` until `done` settles, then once more. Errors of a
   * single sample (a run not yet visible, a server briefly away) are skipped: the next one retries.
   */
  async sampleUntil(workflowIds: readonly string[], done: Promise<unknown>, intervalMs = 250): Promise<void> {
    let finished = false;
    const marker = done.then(
      () => (finished = true),
      () => (finished = true),
    );
    for (;;) {
      const last = finished;
      await Promise.all(workflowIds.map((id) => this.sample(id).catch(() => undefined)));
      if (last) return;
      await Promise.race([marker, new Promise((r) => setTimeout(r, intervalMs))]);
    }
  }

  /** Every failed attempt seen so far. */
  failures(): AttemptFailure[] {
    return [...this.found.values()];
  }
}
