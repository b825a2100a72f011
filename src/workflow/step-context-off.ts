/**
 * A workflow interceptor module that stops carrying the saga step through async context (see
 * `disableStepContext`). The bundler adds it when `stepContext` is off (`STEADFAST_STEP_CONTEXT=off`);
 * nothing else imports it.
 */
import type { WorkflowInterceptors } from '@temporalio/workflow';
import { disableStepContext } from './step-context';

disableStepContext();

/** No interceptors: loading this module is what switches the step context off. */
export const interceptors = (): WorkflowInterceptors => {
  disableStepContext();
  return {};
};
