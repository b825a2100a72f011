/**
 * Failure types of business rejections and request errors, shared by the activities that throw them
 * and the workflows, clients and tests that match on them. Stable: they are part of the contract.
 * Every one is thrown as a non-retryable `ApplicationFailure`: retrying cannot change the answer.
 * (Plain constants, so that workflow code may import them.)
 */
export const RejectionType = {
  outOfStock: 'OutOfStock',
  unknownSku: 'UnknownSku',
  cardDeclined: 'CardDeclined',
  insufficientFunds: 'InsufficientFunds',
  invalidAccount: 'InvalidAccount',
  accountFrozen: 'AccountFrozen',
  /** A request or workflow input failed validation; the message names each bad field. */
  invalidRequest: 'InvalidRequest',
  /** The same idempotency key was sent again with different request fields. */
  idempotencyKeyReused: 'IdempotencyKeyReused',
  /**
   * The business object (a transfer id, an order id) was already submitted by another run, under
   * other keys; the service runs it once, and that run's effects stand.
   */
  alreadySubmitted: 'AlreadySubmitted',
  /** The step's key was already compensated; it must not land any more. */
  stepAlreadyCompensated: 'StepAlreadyCompensated',
} as const;

/** One of {@link RejectionType}'s values. */
export type RejectionTypeName = (typeof RejectionType)[keyof typeof RejectionType];

/**
 * Failure type of a saga whose compensation failed after its retries (see `workflows/saga.ts`).
 * Stable: clients, tests and `verifyStore` match on it.
 */
export const SAGA_COMPENSATION_FAILED = 'SagaCompensationFailed';
