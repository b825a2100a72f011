/**
 * Workflow side of tracing, bundled only into workers that trace (`createWorker({ tracing })`).
 * The SDK's OpenTelemetry interceptors (`@temporalio/interceptors-opentelemetry`) open a
 * `RunWorkflow` span under the client's `StartWorkflow` span (whose context travels in the start
 * headers), a `StartActivity` span under it for each activity the workflow schedules, and pass that
 * span's context to the activity in its headers. Span ids come from the sandbox's seeded random
 * numbers, so a worker that replays the run after another one died rebuilds the same spans, and the
 * tree holds together whichever workers served the run. Spans leave the sandbox through the
 * `exporter` sink, never during replay.
 *
 * Steadfast adds the saga step to each `StartActivity` span (`steadfast.step`, and
 * `steadfast.compensation: true` for a compensation), so a trace reads as the saga ran.
 */
import { trace } from '@opentelemetry/api';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type {
  ActivityInput,
  LocalActivityInput,
  Next,
  WorkflowInterceptorsFactory,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { currentStep } from './step-context';

/** Span attribute: the saga step an activity belongs to. Also how a worker recognises a traced bundle. */
export const STEP_SPAN_ATTRIBUTE = 'steadfast.step';
/** Span attribute: true when the activity is a compensation. */
export const COMPENSATION_SPAN_ATTRIBUTE = 'steadfast.compensation';

function nameStep(): void {
  const context = currentStep();
  const span = trace.getActiveSpan();
  if (!context || !span) return;
  span.setAttribute(STEP_SPAN_ATTRIBUTE, context.step);
  if (context.compensating) span.setAttribute(COMPENSATION_SPAN_ATTRIBUTE, true);
}

/** Runs inside the SDK's outbound interceptor, where its `StartActivity` span is the active one. */
class StepSpanAttributes implements WorkflowOutboundCallsInterceptor {
  scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) {
    nameStep();
    return next(input);
  }

  scheduleLocalActivity(input: LocalActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>) {
    nameStep();
    return next(input);
  }
}

/** The SDK's OpenTelemetry workflow interceptors, then the step attributes. */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [new OpenTelemetryInboundInterceptor()],
  outbound: [new OpenTelemetryOutboundInterceptor(), new StepSpanAttributes()],
  internals: [new OpenTelemetryInternalsInterceptor()],
});
