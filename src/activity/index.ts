/**
 * `steadfast/activity`: what activity code imports. The effect store makes an activity's effect
 * happen exactly once per idempotency key, however often Temporal retries it:
 *
 * @example
 * import { applyEffect, compensateEffect, type EffectStore } from 'steadfast/activity';
 *
 * export function createActivities(store: EffectStore) {
 *   return {
 *     async bookFlight(req: { key: string; flight: string }) {
 *       return applyEffect(store, req.key, req, async (tx) => {
 *         await tx.run('INSERT INTO bookings (key, flight) VALUES (?, ?)', [req.key, req.flight]);
 *         return { bookingId: req.key };
 *       });
 *     },
 *     async cancelFlight(req: { key: string; bookingKey: string }) {
 *       return compensateEffect(store, 'flights', req.key, req.bookingKey, async (tx) => {
 *         const { changes } = await tx.run('DELETE FROM bookings WHERE key = ?', [req.bookingKey]);
 *         return changes > 0;
 *       });
 *     },
 *   };
 * }
 *
 * @packageDocumentation
 */
export { openStore, canonicalJson, requestHash } from './store';
export {
  IdempotencyKeyReusedError,
  type EffectStore,
  type OnceOptions,
  type OnceResult,
  type StoreTx,
} from './store/types';
export { applyEffect, compensateEffect, reject, type CompensationOutcome } from './effects';
export { faultInjection, SimulatedFaultType } from './fault-injection';
export { attemptReporting } from './attempt-report';
export { FailureType, SAGA_COMPENSATION_FAILED, type FailureTypeName } from '../common/failure-types';
export { parseOrReject } from '../common/validate';
export { StoreUnavailableError, isStoreUnreachable } from './store/errors';
export { untilStoreReady, type StoreReadyOptions } from './store/ready';
export { pruneKeys, prunedBefore, type PruneOptions, type PruneReport } from './prune';
export { type KeyOwner } from './store/types';
export {
  chainKeyPrefix,
  legacyStepKey,
  parseStepKey,
  runKeyOf,
  runKeyPrefix,
  runStepKey,
  sameRunChain,
  scopedStepKey,
  stepOfRunKey,
  type ParsedStepKey,
  type RunChain,
  type RunKeys,
} from '../common/idempotency-key';
