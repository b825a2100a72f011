/**
 * Steadfast's custom search attributes: the index that `steadfast faults` queries, so finding the
 * runs that had trouble is one visibility query instead of a scan of every history.
 *
 * | attribute | type | set when |
 * | --- | --- | --- |
 * | `SteadfastFaults` | Int | a run saw a fault: an activity attempt failed (retried or final), or a compensation failed; the value counts them |
 * | `SteadfastFaultKinds` | KeywordList | which kinds of fault it saw (see {@link RecordedFaultKind}) |
 * | `SteadfastCompensated` | Bool | a saga ran compensations |
 *
 * Failed and timed-out runs need no attribute: `ExecutionStatus` already says so.
 *
 * The attributes are set from the workflow (an upsert is a command in the history): by the workflow
 * interceptor for activity faults (`workflows/interceptors.ts`), and by the saga through
 * `recordCompensation` (`workflows/fault-record.ts`). They must be registered on the namespace before a run upserts them,
 * or the workflow task fails: Steadfast's dev servers register them at start
 * (`platform/servers.ts`), and workers register them on other servers when they are allowed to.
 *
 * This file imports only `@temporalio/common`: workflow code, the client and platform/ all use it.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** How many faults the run saw (at least: a final activity failure counts once, whatever its attempts). */
export const SteadfastFaults = defineSearchAttributeKey('SteadfastFaults', SearchAttributeType.INT);
/** The distinct kinds of fault the run saw, sorted. */
export const SteadfastFaultKinds = defineSearchAttributeKey('SteadfastFaultKinds', SearchAttributeType.KEYWORD_LIST);
/** True once a saga compensated (some of) the run's steps. */
export const SteadfastCompensated = defineSearchAttributeKey('SteadfastCompensated', SearchAttributeType.BOOL);

/** Every Steadfast search attribute, for registering them on a server. */
export const STEADFAST_SEARCH_ATTRIBUTES = [SteadfastFaults, SteadfastFaultKinds, SteadfastCompensated];

/**
 * The kinds of fault a run can record, as stored in `SteadfastFaultKinds`:
 * - `retried`: an activity succeeded, but only after failed attempts;
 * - `activity-failed`: an activity failed for good (retries exhausted or a non-retryable failure);
 * - `activity-timed-out`: an activity failed for good because it timed out;
 * - `compensated`: a saga ran compensations;
 * - `compensation-failed`: a compensation failed for good.
 */
export type RecordedFaultKind =
  | 'retried'
  | 'activity-failed'
  | 'activity-timed-out'
  | 'compensated'
  | 'compensation-failed';
