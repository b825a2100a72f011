/**
 * `steadfast/workflow`: what workflow code imports. Everything here is safe to bundle into
 * Temporal's workflow sandbox (no Node builtins, no activity or worker code).
 *
 * A saga registers each compensation before its step runs and undoes completed work in reverse
 * order when a later step fails or the run is cancelled; each step carries an idempotency key that
 * is stable across retries, crashes and resets:
 *
 * @example
 * import { proxyActivities } from '@temporalio/workflow';
 * import { Saga, stepKey, serviceCall, parseOrReject } from 'steadfast/workflow';
 * import type { Activities } from '../activities';
 *
 * const { bookFlight, bookHotel } = proxyActivities<Activities>(serviceCall);
 *
 * export async function bookTrip(input: BookTripInput): Promise<string> {
 *   const trip = parseOrReject('bookTrip input', bookTripInputSchema, input);
 *   const saga = new Saga<Activities>();
 *   return saga.run(async () => {
 *     await saga.step('book-flight', () => bookFlight({ key: stepKey('book-flight'), flight: trip.flight }), {
 *       activity: 'cancelFlight',
 *       args: [{ key: stepKey('cancel-flight'), bookingKey: stepKey('book-flight') }],
 *     });
 *     await saga.step('book-hotel', () => bookHotel({ key: stepKey('book-hotel'), hotel: trip.hotel }), {
 *       activity: 'cancelHotel',
 *       args: [{ key: stepKey('cancel-hotel'), bookingKey: stepKey('book-hotel') }],
 *     });
 *     return 'booked';
 *   });
 * }
 *
 * @packageDocumentation
 */
export {
  Saga,
  SAGA_COMPENSATION_ATTRIBUTES_PATCH,
  type Compensation,
  type CompensationRecord,
  type FailureSummary,
  type SagaCompensationFailedDetails,
  type SagaOptions,
} from './saga';
export { stepKey } from './step-key';
export { serviceCall, compensationCall, checkpointedStage } from './options';
export { recordFault, recordCompensation, FAULT_ATTRIBUTES_PATCH } from './fault-record';
export { FailureType, SAGA_COMPENSATION_FAILED, type FailureTypeName } from '../common/failure-types';
export { parseOrReject, schemaProblems } from '../common/validate';
export { setStrictSignalHandler, setStrictUpdateHandler } from './strict-handlers';
export {
  checkFaultPlan,
  FAULT_KINDS,
  INVALID_FAULT_PLAN,
  FAULT_PLAN_MEMO_KEY,
  FAULT_PLAN_HEADER,
  type FaultKind,
  type FaultPlan,
  type FaultSpec,
} from '../common/fault-plan';
export {
  SteadfastFaults,
  SteadfastFaultKinds,
  SteadfastCompensated,
  STEADFAST_SEARCH_ATTRIBUTES,
  type RecordedFaultKind,
} from '../common/search-attributes';
export { STEADFAST_FAILOVER, TEMPORAL_DEFAULTS, type FailoverSettings } from '../common/failover';
