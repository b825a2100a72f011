/**
 * Recording a run's faults in its search attributes (see `workflows/search-attributes.ts`), from
 * workflow code. The workflow interceptor records activity faults; the saga records compensations.
 */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { patched, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import {
  SteadfastCompensated,
  SteadfastFaultKinds,
  SteadfastFaults,
  type RecordedFaultKind,
} from '../common/search-attributes';

/**
 * The patch that introduced fault recording. Histories recorded before it have faults but no
 * upserts; `patched()` is false while replaying them, so they replay without a determinism error.
 */
export const FAULT_ATTRIBUTES_PATCH = 'steadfast-fault-attributes';

let marking = true;

/**
 * Switches fault marking off for every run of this worker's bundle: {@link recordFault} and
 * {@link recordCompensation} then upsert nothing. A worker whose namespace lacks Steadfast's search
 * attributes (and may not register them) bundles the module that calls this, because an upsert of
 * an unknown attribute fails the workflow task for good. The patch marker is still written, so a
 * history replays the same way on either kind of worker up to the first fault; past it, a history
 * recorded with marking on has upserts that a worker with marking off does not make, so switch
 * marking on or off only when no run that met a fault is still in flight (or replay it on a worker
 * with the same setting).
 */
export function disableFaultMarking(): void {
  marking = false;
}

/** Adds `kinds` and `faults` to the run's attributes (and sets `SteadfastCompensated` when asked). */
function upsertFaults(kinds: RecordedFaultKind[], faults: number, compensated: boolean): void {
  if (!patched(FAULT_ATTRIBUTES_PATCH) || !marking) return;
  const current = workflowInfo().typedSearchAttributes;
  const allKinds = [...new Set([...(current.get(SteadfastFaultKinds) ?? []), ...kinds])].sort();
  const updates: SearchAttributeUpdatePair[] = [
    { key: SteadfastFaults, value: (current.get(SteadfastFaults) ?? 0) + faults },
    { key: SteadfastFaultKinds, value: allKinds },
  ];
  if (compensated) updates.push({ key: SteadfastCompensated, value: true });
  upsertSearchAttributes(updates);
}

/**
 * Records a fault of this run in its search attributes: adds `count` to `SteadfastFaults` and
 * `kind` to `SteadfastFaultKinds`. Workflow code only; the interceptor calls it for activities.
 */
export function recordFault(kind: RecordedFaultKind, count = 1): void {
  upsertFaults([kind], count, false);
}

/**
 * Records that a saga compensated this run: sets `SteadfastCompensated` and adds `compensated`
 * (and, if compensations failed for good, `compensation-failed` and one fault per failure).
 * Workflow code only. `Saga.compensate()` (workflows/saga.ts) calls it once it has run its
 * compensations; call it yourself only for an undo written without the saga.
 *
 * @example
 * const records = await undoByHand();
 * recordCompensation({ failed: records.filter((r) => r.status === 'failed').length });
 */
export function recordCompensation({ failed = 0 }: { failed?: number } = {}): void {
  upsertFaults(failed > 0 ? ['compensated', 'compensation-failed'] : ['compensated'], failed, true);
}
