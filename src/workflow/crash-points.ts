/**
 * Workflow side of the crash points (test and benchmark hooks; see `workers/crash-points.ts`).
 * Bundled only into workers started with `STEADFAST_CRASH_POINTS_DIR`, never into the default
 * bundle. When the workflow schedules an activity, it tells the worker through a sink; the sink runs
 * before the workflow task's completion is sent, so a worker that holds there keeps the workflow
 * task in flight until it is killed.
 */
import {
  proxySinks,
  type ActivityInput,
  type Next,
  type Sinks,
  type WorkflowInterceptorsFactory,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/** The sink the worker registers. */
export interface CrashPointSinks extends Sinks {
  crashPoints: {
    /** The current workflow task schedules `activityType` (with the idempotency `key` of its request, if any). */
    scheduling(activityType: string, key: string | undefined): void;
  };
}

const { crashPoints } = proxySinks<CrashPointSinks>();

class CrashPointInterceptor implements WorkflowOutboundCallsInterceptor {
  scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) {
    const request = input.args[0] as { key?: unknown } | undefined;
    crashPoints.scheduling(input.activityType, typeof request?.key === 'string' ? request.key : undefined);
    return next(input);
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ outbound: [new CrashPointInterceptor()] });
