/**
 * The activity side of attempt reports (the workflow side is one of Steadfast's workflow interceptors): when an attempt after
 * the first succeeds, and the workflow asked for it, the result goes back wrapped with the attempt
 * number, so the workflow can record that the step needed retries.
 */
import type { Context } from '@temporalio/activity';
import type { Next } from '@temporalio/common';
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  ActivityInterceptorsFactory,
} from '@temporalio/worker';
import { ATTEMPT_REPORT_HEADER, ATTEMPT_REPORT_KEY, type AttemptReport } from '../common/attempt-report';

class AttemptReporter implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: Context) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const value = await next(input);
    const { attempt } = this.ctx.info;
    if (attempt <= 1 || !input.headers[ATTEMPT_REPORT_HEADER]) return value;
    return { [ATTEMPT_REPORT_KEY]: attempt, value } satisfies AttemptReport;
  }
}

/**
 * The attempt-report activity interceptor: a retried activity's result tells the workflow which
 * attempt succeeded, so the run records the `retried` fault. `createWorker` always adds it; register
 * it yourself (`Worker.create({ interceptors: { activity: [attemptReporting] } })`) only on a worker
 * built without `createWorker`, whose bundle includes Steadfast's workflow interceptors.
 */
export const attemptReporting: ActivityInterceptorsFactory = (ctx) => ({ inbound: new AttemptReporter(ctx) });
