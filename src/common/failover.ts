/**
 * Failover settings: how fast a run recovers when a worker dies, and what a clean shutdown waits
 * for. Temporal's defaults cost ten seconds or more per fault; these are chosen deliberately, and
 * `npm run bench:failover` measures both sets side by side. The trade-offs are written up in
 * docs/FAILOVER.md; change a value there and here together.
 *
 * This module has no runtime imports on purpose: workflow code (`workflows/options.ts`) reads the
 * heartbeat timeout from it, so it must stay safe to bundle into Temporal's workflow sandbox.
 */
import type { Duration, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';

/** One set of failover settings. */
export interface FailoverSettings {
  /** Activity option for long, checkpointed stages: a worker that stops heartbeating for this long is presumed dead. */
  heartbeatTimeout: Duration | undefined;
  /** Worker option `maxHeartbeatThrottleInterval`: the longest gap between heartbeats that reach the server. */
  maxHeartbeatThrottleInterval: Duration;
  /** Start option: a workflow task not completed within this time is handed to another worker. */
  workflowTaskTimeout: Duration;
  /** Worker option: how long a task waits on a (possibly dead) worker's sticky queue before any worker may take it. */
  stickyQueueScheduleToStartTimeout: Duration;
  /** Worker option: on SIGTERM/SIGINT, how long in-flight activities may run to completion before they are cancelled. */
  shutdownGraceTime: Duration;
  /** Worker option: after this, shutdown gives up waiting and the process exits non-zero. */
  shutdownForceTime: Duration | undefined;
  /** Retry option of checkpointed stages: the pause before an attempt that died is retried. */
  stageRetryInitialInterval: Duration;
}

/**
 * Steadfast's settings. In short (docs/FAILOVER.md has the reasoning):
 * - heartbeat timeout 3 s with a heartbeat reaching the server at least every second, so one late
 *   heartbeat (a GC pause, a busy CPU) is not mistaken for a dead worker;
 * - workflow task timeout 5 s: a workflow task normally takes milliseconds; 5 s leaves room for a
 *   cold worker replaying a long history on a loaded machine;
 * - sticky schedule-to-start 2 s: a live sticky worker picks its task up in milliseconds; after 2 s
 *   any worker may take it (at the cost of replaying the history);
 * - shutdown grace 20 s, force 25 s: inside Kubernetes' default 30 s termination grace period.
 */
export const STEADFAST_FAILOVER: FailoverSettings = {
  heartbeatTimeout: '3 seconds',
  maxHeartbeatThrottleInterval: '1 second',
  workflowTaskTimeout: '5 seconds',
  stickyQueueScheduleToStartTimeout: '2 seconds',
  shutdownGraceTime: '20 seconds',
  shutdownForceTime: '25 seconds',
  stageRetryInitialInterval: '500 milliseconds',
};

/**
 * What a team gets by leaving everything unset: no heartbeat timeout (a dead worker is only noticed
 * when the attempt's start-to-close timeout fires), a 10 s workflow task timeout (server default),
 * a 10 s sticky schedule-to-start timeout and no shutdown grace (TypeScript SDK defaults), and the
 * default 1 s first retry interval. Used by the failover benchmark for comparison.
 */
export const TEMPORAL_DEFAULTS: FailoverSettings = {
  heartbeatTimeout: undefined,
  maxHeartbeatThrottleInterval: '60 seconds',
  workflowTaskTimeout: '10 seconds',
  stickyQueueScheduleToStartTimeout: '10 seconds',
  shutdownGraceTime: 0,
  shutdownForceTime: undefined,
  stageRetryInitialInterval: '1 second',
};

/** Names of the two profiles, as `STEADFAST_FAILOVER_PROFILE` and the benchmark spell them. */
export type FailoverProfile = 'steadfast' | 'temporal-defaults';

/** The settings of a profile. */
export function failoverSettings(profile: FailoverProfile = 'steadfast'): FailoverSettings {
  return profile === 'temporal-defaults' ? TEMPORAL_DEFAULTS : STEADFAST_FAILOVER;
}

/** The worker options a profile sets (spread into `Worker.create`). */
export function failoverWorkerOptions(profile: FailoverProfile = 'steadfast') {
  const s = failoverSettings(profile);
  return {
    maxHeartbeatThrottleInterval: s.maxHeartbeatThrottleInterval,
    stickyQueueScheduleToStartTimeout: s.stickyQueueScheduleToStartTimeout,
    shutdownGraceTime: s.shutdownGraceTime,
    ...(s.shutdownForceTime !== undefined ? { shutdownForceTime: s.shutdownForceTime } : {}),
  };
}

/**
 * Options every client should pass when it starts a workflow: the workflow task timeout (a start
 * option, not a worker option), and a workflow id that cannot be reused. A run's idempotency keys
 * belong to its run chain, so a second run with the same id could never undo or repeat the first
 * one's effects; refusing the start tells the caller at once, instead of running a second,
 * independent business transaction under a name that already means the first.
 *
 * @example
 * await client.workflow.start(productionBatch, { taskQueue, workflowId, args, ...workflowStartOptions() });
 */
export function workflowStartOptions(profile: FailoverProfile = 'steadfast'): {
  workflowTaskTimeout: Duration;
  workflowIdReusePolicy: WorkflowIdReusePolicy;
  workflowIdConflictPolicy: WorkflowIdConflictPolicy;
} {
  return {
    workflowTaskTimeout: failoverSettings(profile).workflowTaskTimeout,
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    workflowIdConflictPolicy: 'FAIL',
  };
}
