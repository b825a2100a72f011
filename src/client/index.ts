/**
 * `steadfast/client`: starting runs with Steadfast's start options and finding out what happened to
 * them: cause chains, the faults query over Steadfast's search attributes, a run's trail of steps,
 * and reset to the last good point once a bug is fixed.
 *
 * @example
 * import { Client, Connection } from '@temporalio/client';
 * import { workflowStartOptions, findFaults, formatChain, causeChain } from 'steadfast/client';
 *
 * const client = new Client({ connection: await Connection.connect() });
 * const handle = await client.workflow.start('bookTrip', {
 *   taskQueue: 'trips', workflowId: `trip-${tripId}`, args: [input], ...workflowStartOptions(),
 * });
 * try {
 *   await handle.result();
 * } catch (err) {
 *   console.error(formatChain(causeChain(err)));
 * }
 * const { runs } = await findFaults(client, { limit: 20 });
 * for (const run of runs) console.log(run.workflowId, run.status, run.faults.kinds, run.causes);
 *
 * @packageDocumentation
 */
export { workflowStartOptions, type FailoverProfile } from '../common/failover';
export { causeChain, protoCauseChain, formatChain, type CauseLink } from './failures';
export { findFaults, faultsQuery, faultDetails, queryLiteral, type FaultReport } from './faults';
export { lastGood, resetRun, firstFailure, eventTypeName, RESET_POINT_TYPES, type LastGood } from './reset';
export {
  summarize,
  waitForOutcome,
  formatSummary,
  faultAttributes,
  type FaultAttributes,
  type RunOutcome,
  type RunSummary,
} from './runs';
export { trailOf, trailFromEvents, formatTrail, type TrailStep } from './trail';
export {
  SteadfastFaults,
  SteadfastFaultKinds,
  SteadfastCompensated,
  STEADFAST_SEARCH_ATTRIBUTES,
  type RecordedFaultKind,
} from '../common/search-attributes';
export { FAULT_PLAN_MEMO_KEY, type FaultPlan, type FaultSpec, type FaultKind } from '../common/fault-plan';
export { FailureType, SAGA_COMPENSATION_FAILED } from '../common/failure-types';
export type { SagaCompensationFailedDetails, CompensationRecord } from '../workflow/saga';
export { loadConfig, ConfigError, type SteadfastConfig } from '../platform/config';
export { runKeysOf, runRecordOf, runRecordsOf, type RunRecord } from './run-record';
export { runKeyOf, runKeyPrefix, stepOfRunKey, type RunKeys } from '../common/idempotency-key';
export {
  AesGcmCodec,
  CodecKeyError,
  CodecKeyRing,
  decodeHistory,
  fetchDecodedHistory,
  loadCodecKeys,
  parseCodecKeys,
  steadfastDataConverter,
  CODEC_KEYS_FILE_VAR,
  CODEC_KEYS_VAR,
} from '../codec';
