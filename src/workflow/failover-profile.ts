/**
 * A what-if switch for experiments and the failover benchmark: run a workflow with the activity
 * options a team gets by leaving Temporal's defaults, without touching the workflow's code.
 *
 * A client puts a {@link FailoverProfileMemo} in the run's memo under
 * {@link FAILOVER_PROFILE_MEMO_KEY}. This workflow interceptor then schedules every heartbeating
 * activity (a checkpointed stage) with no heartbeat timeout, the given start-to-close timeout and
 * the default first retry interval. Workers and start options of the same profile come from
 * `workers/settings.ts`. Without the memo entry nothing changes.
 */
import {
  workflowInfo,
  type ActivityInput,
  type Next,
  type WorkflowInterceptorsFactory,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { TEMPORAL_DEFAULTS } from '../common/failover';

/** Memo key under which a client selects the profile of a run. */
export const FAILOVER_PROFILE_MEMO_KEY = 'steadfast.failoverProfile';

/** The memo entry. */
export interface FailoverProfileMemo {
  profile: 'temporal-defaults';
  /**
   * Start-to-close timeout of a stage without heartbeats: the only way a dead worker is noticed.
   * A team sets it to a few times the stage's expected duration.
   */
  stageStartToCloseTimeout: Duration;
}

function withProfile(input: ActivityInput): ActivityInput {
  const memo = workflowInfo().memo?.[FAILOVER_PROFILE_MEMO_KEY] as FailoverProfileMemo | undefined;
  if (memo?.profile !== 'temporal-defaults' || input.options.heartbeatTimeout === undefined) return input;
  const options = { ...input.options };
  delete options.heartbeatTimeout;
  return {
    ...input,
    options: {
      ...options,
      startToCloseTimeout: memo.stageStartToCloseTimeout,
      retry: { ...options.retry, initialInterval: TEMPORAL_DEFAULTS.stageRetryInitialInterval },
    },
  };
}

class FailoverProfileInterceptor implements WorkflowOutboundCallsInterceptor {
  scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) {
    return next(withProfile(input));
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ outbound: [new FailoverProfileInterceptor()] });
