/**
 * Steadfast's own failure types: the `type` of the non-retryable `ApplicationFailure`s that the
 * library throws. They are stable (clients, tests and invariants match on them), and plain
 * constants, so that workflow code may import them. Business rejections of a domain
 * (`OutOfStock`, `CardDeclined`, …) belong to the application, not here: throw them with
 * `reject(type, message)` from `steadfast/activity`.
 */
export const FailureType = {
  /** A request or workflow input failed validation; the message names each bad field. */
  invalidRequest: 'InvalidRequest',
  /** The same idempotency key was sent again with different request fields. */
  idempotencyKeyReused: 'IdempotencyKeyReused',
  /** The step's key was already compensated; it must not land any more. */
  stepAlreadyCompensated: 'StepAlreadyCompensated',
  /** A saga's compensation failed after its retries; the failure's cause is the original failure. */
  sagaCompensationFailed: 'SagaCompensationFailed',
} as const;

/** One of {@link FailureType}'s values. */
export type FailureTypeName = (typeof FailureType)[keyof typeof FailureType];

/**
 * Failure type of a saga whose compensation failed after its retries (see `Saga`).
 * Stable: clients, tests and `verifyStore` match on it.
 */
export const SAGA_COMPENSATION_FAILED = FailureType.sagaCompensationFailed;

/**
 * The failure type of an attempt that a supervisor failed because its worker process died
 * (`steadfast worker --processes`). Retryable: the attempt runs again on a live worker.
 */
export const WORKER_PROCESS_EXITED = 'WorkerProcessExited';
