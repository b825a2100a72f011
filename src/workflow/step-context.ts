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

// Shared by every run of a reused V8 context (the bundle preloads this module, see
// SHARED_WORKFLOW_MODULES in src/worker/create-worker.ts), like the SDK's own cancellation-scope
// storage: async context is per promise chain, so runs never see each other's step. `carrying` is
// the same for every run of a bundle.
const storage = new AsyncLocalStorage<StepContext>();
let carrying = true;

/**
 * Stops carrying the step for every run of this worker's bundle: {@link inStep} runs its function
 * as it is and {@link currentStep} is always undefined. The worker bundles the module that calls
 * this when `stepContext` is off: on Node 20 an AsyncLocalStorage that has run once makes every
 * promise of the workflow thread, of every run, pay an async hook (docs/PERFORMANCE.md).
 */
export function disableStepContext(): void {
  carrying = false;
}

/** Runs `fn` as (part of) `step`: log lines and activity spans started inside it name the step. */
export function inStep<T>(context: StepContext, fn: () => Promise<T>): Promise<T> {
  return carrying ? storage.run(context, fn) : fn();
}

/** The step the calling code runs in, if any. */
export function currentStep(): StepContext | undefined {
  return carrying ? storage.getStore() : undefined;
}
