/**
 * The saga step that workflow code is running, carried through `await`s by the sandbox's
 * AsyncLocalStorage. Steps of one saga may run concurrently (`Promise.all`), so a single
 * "current step" variable would name the wrong one; async context names the right one on every
 * branch. Workflow interceptors read it to put `step` on each log line (`getLogAttributes`) and
 * on each traced activity span.
 */
import { AsyncLocalStorage } from '@temporalio/workflow';

/** What runs: a forward step, or the compensation that undoes one. */
export interface StepContext {
  /** The saga step's name (`saga.step(name, …)`). */
  step: string;
  /** True while the step's compensation runs. */
  compensating: boolean;
}

// Module state is per workflow run: the SDK gives each run its own module instances.
const storage = new AsyncLocalStorage<StepContext>();

/** Runs `fn` as (part of) `step`: log lines and activity spans started inside it name the step. */
export function inStep<T>(context: StepContext, fn: () => Promise<T>): Promise<T> {
  return storage.run(context, fn);
}

/** The step the calling code runs in, if any. */
export function currentStep(): StepContext | undefined {
  return storage.getStore();
}
