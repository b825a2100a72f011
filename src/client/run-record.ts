/**
 * What `verifyStore` needs to know about a run, read from Temporal: its type, status and, for a
 * failed run, the failure type and which compensations failed.
 */
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { SAGA_COMPENSATION_FAILED } from '../common/failure-types';
import type { RunKeys } from '../common/idempotency-key';
import type { SagaCompensationFailedDetails } from '../workflow/saga';

/** What an invariant check needs to know about one run, and the run chain its keys belong to. */
export interface RunRecord extends RunKeys {
  /** The run's workflow id. */
  workflowId: string;
  /** The run's workflow type name. */
  workflowType: string;
  /** Temporal's execution status name: `RUNNING`, `COMPLETED`, `FAILED`, `CANCELLED`, `TERMINATED`, `TIMED_OUT`, … */
  status: string;
  /** For a failed run: the type of its `ApplicationFailure`, e.g. `SagaCompensationFailed`. */
  failureType?: string;
  /** For `SagaCompensationFailed`: the activity types of the compensations that failed. */
  failedCompensations?: string[];
}

/** The run chain a run's keys belong to: its namespace, workflow id and first execution's run id. */
export async function runKeysOf(handle: WorkflowHandle): Promise<RunKeys> {
  const d = await handle.describe();
  return {
    workflowId: d.workflowId,
    namespace: handle.client.options.namespace,
    firstExecutionRunId: d.raw.workflowExecutionInfo?.firstRunId || d.runId,
  };
}

/** Describes one run (and, if it failed, reads its failure). Does not wait for a run in flight. */
export async function runRecordOf(handle: WorkflowHandle): Promise<RunRecord> {
  const d = await handle.describe();
  const record: RunRecord = {
    workflowId: d.workflowId,
    workflowType: d.type,
    status: d.status.name,
    // Its keys are made of these (src/common/idempotency-key.ts).
    namespace: handle.client.options.namespace,
    firstExecutionRunId: d.raw.workflowExecutionInfo?.firstRunId || d.runId,
  };
  if (d.status.name !== 'FAILED') return record;
  const failure = await handle.result().then(
    () => undefined,
    (err: unknown) => (err instanceof WorkflowFailedError ? err.cause : undefined),
  );
  if (failure instanceof ApplicationFailure) {
    record.failureType = failure.type ?? undefined;
    if (failure.type === SAGA_COMPENSATION_FAILED) {
      const details = failure.details?.[0] as SagaCompensationFailedDetails | undefined;
      record.failedCompensations = details?.compensations.filter((c) => c.status === 'failed').map((c) => c.activity) ?? [];
    }
  }
  return record;
}

/** {@link runRecordOf} for many runs. */
export function runRecordsOf(handles: WorkflowHandle[]): Promise<RunRecord[]> {
  return Promise.all(handles.map(runRecordOf));
}
