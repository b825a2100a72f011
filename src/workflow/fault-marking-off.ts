/**
 * A workflow interceptor module that switches fault marking off (see `disableFaultMarking`). The
 * worker adds it to the bundle when the namespace lacks Steadfast's search attributes and they
 * could not be registered; nothing else imports it.
 */
import type { WorkflowInterceptors } from '@temporalio/workflow';
import { disableFaultMarking } from './fault-record';

disableFaultMarking();

/** No interceptors: loading this module is what switches marking off. */
export const interceptors = (): WorkflowInterceptors => {
  disableFaultMarking();
  return {};
};
