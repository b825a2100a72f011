/**
 * Activity option presets. Every activity call uses one of these, so each has explicit timeouts
 * and an explicit retry policy: transient faults retry with exponential backoff; business
 * rejections are thrown as non-retryable `ApplicationFailure`s and are never retried.
 */
import { ActivityCancellationType, type ActivityOptions } from '@temporalio/workflow';
import { STEADFAST_FAILOVER } from '../workers/settings';

/** A call to a downstream service (payments, inventory, hospital systems): short, retried with backoff. */
export const serviceCall = {
  startToCloseTimeout: '10 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 10,
  },
} satisfies ActivityOptions;

/**
 * A long, checkpointed stage (a machine working through a batch): it heartbeats its progress, so a
 * dead worker is noticed after the heartbeat timeout (not after the hour-long start-to-close bound)
 * and the retry resumes from the last checkpoint. The timeout values come from the failover
 * settings (`workers/settings.ts`). Cancellation waits for the stage to stop at a chunk boundary,
 * so a compensation never races a chunk still being written.
 */
export const checkpointedStage = {
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: STEADFAST_FAILOVER.heartbeatTimeout,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: {
    initialInterval: STEADFAST_FAILOVER.stageRetryInitialInterval,
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 20,
  },
} satisfies ActivityOptions;
