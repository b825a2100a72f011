/**
 * Workers for the reference application in tests: `createWorker` from `steadfast/worker` with the
 * reference application's workflows and activities, and fault injection on (tests inject faults).
 */
import type { Worker } from '@temporalio/worker';
import type { EffectStore } from 'steadfast/activity';
import { createWorker, workflowBundle, type BundleConverterOptions, type SteadfastWorkerOptions } from 'steadfast/worker';
import { createActivities } from '../activities';
import project from '../steadfast.config';

/** The reference application's workflow bundle source (workflows path and bundler options). */
export const REFERENCE_WORKFLOWS = {
  workflowsPath: project.workflowsPath,
  bundlerOptions: project.bundlerOptions,
};

/** The reference application's workflow bundle (built once per process), plus `extraModules`. */
export function referenceBundle(extraModules: string[] = [], converter: BundleConverterOptions = {}): ReturnType<typeof workflowBundle> {
  return workflowBundle(REFERENCE_WORKFLOWS, extraModules, converter);
}

/** Options of {@link referenceWorker}: `createWorker`'s, with the store instead of the activities. */
export type ReferenceWorkerOptions = Omit<SteadfastWorkerOptions, 'workflowsPath' | 'activities'> & { store: EffectStore };

/** A worker for every reference workflow and activity over `store`, with fault injection on. */
export function referenceWorker({ store, ...opts }: ReferenceWorkerOptions): Promise<Worker> {
  return createWorker({ ...REFERENCE_WORKFLOWS, faultInjection: true, ...opts, activities: createActivities(store) });
}
