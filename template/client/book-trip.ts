/** Starting a `bookTrip` run, the way every client of this project does. */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { FAULT_PLAN_MEMO_KEY, workflowStartOptions, type FaultPlan } from 'steadfast/client';
import { bookTrip, type BookTripInput } from '../workflows';

/** Options of {@link startBookTrip}. */
export interface StartBookTripOptions {
  taskQueue: string;
  /** Faults to inject into this run (honoured only by a worker with fault injection on). */
  faultPlan?: FaultPlan;
}

/** Starts a run whose workflow id comes from the trip, with Steadfast's start options. */
export async function startBookTrip(
  client: Client,
  input: BookTripInput,
  opts: StartBookTripOptions,
): Promise<WorkflowHandle<typeof bookTrip>> {
  return client.workflow.start(bookTrip, {
    taskQueue: opts.taskQueue,
    workflowId: `trip-${input.tripId}`,
    args: [input],
    ...workflowStartOptions(),
    // A run that cannot finish in time fails instead of keeping its caller waiting.
    workflowExecutionTimeout: '5 minutes',
    memo: opts.faultPlan ? { [FAULT_PLAN_MEMO_KEY]: opts.faultPlan } : undefined,
  });
}
