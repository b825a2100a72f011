/**
 * Activity option presets. Every activity call uses one of these, so each has explicit timeouts
 * and an explicit retry policy: transient faults retry with exponential backoff; business
 * rejections are thrown as non-retryable `ApplicationFailure`s and are never retried.
 */
import type { ActivityOptions } from '@temporalio/workflow';

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
