/**
 * The reference application's business rejections: the stable `type` of the non-retryable
 * `ApplicationFailure`s its simulated services throw, shared by the activities that throw them and
 * the workflows, clients and tests that match on them. Steadfast's own failure types
 * (`InvalidRequest`, `IdempotencyKeyReused`, …) are included so one name covers every rejection
 * the application can see. Plain constants, so that workflow code may import them.
 */
import { FailureType } from 'steadfast/workflow';

export const RejectionType = {
  outOfStock: 'OutOfStock',
  unknownSku: 'UnknownSku',
  cardDeclined: 'CardDeclined',
  insufficientFunds: 'InsufficientFunds',
  invalidAccount: 'InvalidAccount',
  accountFrozen: 'AccountFrozen',
  /**
   * The business object (a transfer id, an order id) was already submitted by another run, under
   * other keys; the service runs it once, and that run's effects stand.
   */
  alreadySubmitted: 'AlreadySubmitted',
  ...FailureType,
} as const;

/** One of {@link RejectionType}'s values. */
export type RejectionTypeName = (typeof RejectionType)[keyof typeof RejectionType];

/** The rejections a business expects (refusals, not faults): a run set up for them ends as it should. */
export const BUSINESS_REJECTIONS: readonly string[] = [
  RejectionType.outOfStock,
  RejectionType.unknownSku,
  RejectionType.cardDeclined,
  RejectionType.insufficientFunds,
  RejectionType.invalidAccount,
  RejectionType.accountFrozen,
  RejectionType.alreadySubmitted,
];
