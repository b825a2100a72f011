/**
 * Activity option presets. Every activity call uses one of these, so each has explicit timeouts
 * and an explicit retry policy: transient faults retry with exponential backoff; business
 * rejections are thrown as non-retryable `ApplicationFailure`s and are never retried.
 *
 * In a worker the presets are frozen (the SDK freezes the modules it shares between runs, and
 * Steadfast's workflow modules are shared): to change a field, spread one,
 * `{ ...serviceCall, startToCloseTimeout: '1 minute' }`; assigning to it throws.
 */
import { ActivityCancellationType, type ActivityOptions } from '@temporalio/workflow';
import { STEADFAST_FAILOVER } from '../common/failover';

/**
 * A call to a downstream service (payments, inventory, hospital systems): short, retried with
 * backoff. Each attempt may take 10 s (start-to-close); retries wait 1 s, doubling up to 30 s, for
 * at most 10 attempts; a non-retryable failure (a business rejection) stops them at once.
 *
 * @example
 * const { bookFlight, bookHotel } = proxyActivities<Activities>(serviceCall);
 */
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
 * A compensation (an undo registered with a saga). Retried far longer than a forward step: a
 * compensation must eventually succeed, and giving up leaves the business in an inconsistent
 * state that an operator has to repair. 25 attempts with backoff capped at a minute is about 20
 * minutes of trying; only a non-retryable failure stops it sooner. Compensations are idempotent,
 * so every retry is safe.
 */
export const compensationCall = {
  startToCloseTimeout: '10 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 25,
  },
} satisfies ActivityOptions;

/**
 * A long, checkpointed stage (a machine working through a batch): it heartbeats its progress, so a
 * dead worker is noticed after the heartbeat timeout (not after the hour-long start-to-close bound)
 * and the retry resumes from the last checkpoint. The heartbeat timeout (3 s) and the first retry
 * interval come from the failover settings ({@link STEADFAST_FAILOVER}); retries double up to 30 s,
 * for at most 20 attempts. Cancellation waits for the stage to stop at a chunk boundary,
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
