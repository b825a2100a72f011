/**
 * Workflow interceptors, registered by the worker (`workflowModules`). They copy the run's fault
 * plan from its memo into the headers of every activity it schedules, so fault injection stays
 * outside the workflow's own code and inputs; and they record the faults each activity met in the
 * run's search attributes (`workflows/fault-record.ts`), which `steadfast faults` queries; and they
 * add the saga step that runs (`step-context.ts`) to every line logged through the SDK's `log`,
 * which already carries the workflow id and run id.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  TimeoutFailure,
  defaultPayloadConverter,
  workflowInfo,
  type ActivityInput,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type LocalActivityInput,
  type Next,
  type WorkflowInterceptorsFactory,
  type WorkflowOutboundCallsInterceptor,
  type GetLogAttributesInput,
} from '@temporalio/workflow';
import { ATTEMPT_REPORT_HEADER, isAttemptReport } from '../common/attempt-report';
import { checkFaultPlan, FAULT_PLAN_HEADER, FAULT_PLAN_MEMO_KEY, INVALID_FAULT_PLAN } from '../common/fault-plan';
import { recordFault } from './fault-record';
import { settled } from './settled';
import { currentStep } from './step-context';

function withFaultPlan<T extends ActivityInput | LocalActivityInput>(input: T): T {
  const plan = workflowInfo().memo?.[FAULT_PLAN_MEMO_KEY];
  if (plan === undefined) return input;
  return { ...input, headers: { ...input.headers, [FAULT_PLAN_HEADER]: defaultPayloadConverter.toPayload(plan) } };
}

/**
 * Checks the run's fault plan before the workflow runs a line: any client can put one in the memo,
 * and a plan half understood (a misspelt kind, a `transient` fault without `times`, a plan sent as
 * a JSON string) would make the run behave in ways nobody asked for. A malformed plan fails the run,
 * non-retryably, naming each problem, before any activity is scheduled.
 */
class FaultPlanCheck implements WorkflowInboundCallsInterceptor {
  // Fails by rejection (`settled`), never by a synchronous throw: a rejection fails the run, a throw
  // here would fail the workflow task instead.
  execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    return settled(() => {
      const plan = workflowInfo().memo?.[FAULT_PLAN_MEMO_KEY];
      if (plan !== undefined) {
        const problems = checkFaultPlan(plan);
        if (problems.length) {
          throw ApplicationFailure.create({
            type: INVALID_FAULT_PLAN,
            message: `invalid fault plan in memo "${FAULT_PLAN_MEMO_KEY}": ${problems.join('; ')}`,
            nonRetryable: true,
            details: [{ problems }],
          });
        }
      }
      return next(input);
    });
  }
}

class FaultPlanPropagator implements WorkflowOutboundCallsInterceptor {
  scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) {
    return next(withFaultPlan(input));
  }

  scheduleLocalActivity(
    input: LocalActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>,
  ) {
    return next(withFaultPlan(input));
  }
}

const ATTEMPT_REPORT_WANTED = defaultPayloadConverter.toPayload(true);

/** The activity's final failure is a fault, unless it is the run being cancelled. */
function recordFailure(err: unknown): never {
  if (err instanceof ActivityFailure && !(err.cause instanceof CancelledFailure)) {
    recordFault(err.cause instanceof TimeoutFailure ? 'activity-timed-out' : 'activity-failed');
  }
  throw err;
}

/** A result after retries comes wrapped in an attempt report: unwrap it and record the retries. */
function unwrapAttemptReport(value: unknown): unknown {
  if (!isAttemptReport(value)) return value;
  recordFault('retried', value.$steadfastAttempt - 1);
  return value.value;
}

/**
 * Records an activity's faults as it settles: retries before a success, or its final failure.
 * One `then`, not an async function: that would create two promises per activity instead of one.
 */
function recordingFaults(result: Promise<unknown>): Promise<unknown> {
  return result.then(unwrapAttemptReport, recordFailure);
}

class FaultRecorder implements WorkflowOutboundCallsInterceptor {
  scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) {
    return recordingFaults(next({ ...input, headers: { ...input.headers, [ATTEMPT_REPORT_HEADER]: ATTEMPT_REPORT_WANTED } }));
  }

  scheduleLocalActivity(
    input: LocalActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>,
  ) {
    return recordingFaults(next({ ...input, headers: { ...input.headers, [ATTEMPT_REPORT_HEADER]: ATTEMPT_REPORT_WANTED } }));
  }
}

/**
 * Names the saga step on each log line written inside one (`step`, and `compensating: true` while
 * its compensation runs). A line that names its own `step` keeps it.
 */
class StepLogAttributes implements WorkflowOutboundCallsInterceptor {
  getLogAttributes(input: GetLogAttributesInput, next: Next<WorkflowOutboundCallsInterceptor, 'getLogAttributes'>) {
    const context = currentStep();
    if (!context) return next(input);
    return next({ ...input, step: context.step, ...(context.compensating ? { compensating: true } : {}) });
  }
}

/**
 * The workflow interceptors Steadfast's workers register: fault plan check and propagation, fault
 * recording, and the saga step on log lines.
 */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [new FaultPlanCheck()],
  outbound: [new FaultPlanPropagator(), new FaultRecorder(), new StepLogAttributes()],
});
