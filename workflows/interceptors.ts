/**
 * Workflow interceptors, registered by the worker (`workflowModules`). They copy the run's fault
 * plan from its memo into the headers of every activity it schedules, so fault injection stays
 * outside the workflow's own code and inputs.
 */
import {
  defaultPayloadConverter,
  workflowInfo,
  type ActivityInput,
  type LocalActivityInput,
  type Next,
  type WorkflowInterceptorsFactory,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { FAULT_PLAN_HEADER, FAULT_PLAN_MEMO_KEY } from './fault-plan';

function withFaultPlan<T extends ActivityInput | LocalActivityInput>(input: T): T {
  const plan = workflowInfo().memo?.[FAULT_PLAN_MEMO_KEY];
  if (plan === undefined) return input;
  return { ...input, headers: { ...input.headers, [FAULT_PLAN_HEADER]: defaultPayloadConverter.toPayload(plan) } };
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

export const interceptors: WorkflowInterceptorsFactory = () => ({ outbound: [new FaultPlanPropagator()] });
