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
