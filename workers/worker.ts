/**
 * Building a Steadfast worker: the task queue, the workflows (bundled from `workflows/`), the
 * activities over the effect store, the interceptors (fault plan propagation and injection) and
 * the failover settings.
 */
import {
  bundleWorkflowCode,
  type ActivityInterceptorsFactory,
  type NativeConnection,
  Worker,
  type WorkerOptions,
} from '@temporalio/worker';
import { createActivities } from '../activities';
import { attemptReporting } from '../activities/attempt-report';
import { faultInjection } from '../activities/fault-injection';
import type { EffectStore } from '../activities/store';
import { failoverWorkerOptions, type FailoverProfile } from './settings';

/** Entry of the workflow bundle and the workflow interceptor modules. */
export const WORKFLOWS_PATH = require.resolve('../workflows');
export const WORKFLOW_INTERCEPTOR_MODULES = [
  require.resolve('../workflows/interceptors'),
  require.resolve('../workflows/failover-profile'),
];

/** Keeps worker file paths out of failures sent to the server, in workflows and activities alike. */
export const FAILURE_CONVERTER_PATH = require.resolve('../src/common/failure-converter');

let bundlePromise: ReturnType<typeof bundleWorkflowCode> | undefined;

/** Bundles the workflow code once per process (bundling takes seconds; workers can share it). */
export function workflowBundle(): ReturnType<typeof bundleWorkflowCode> {
  bundlePromise ??= bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  return bundlePromise;
}

export interface SteadfastWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  store: EffectStore;
  /** Failover settings (`workers/settings.ts`); default `steadfast`. */
  failoverProfile?: FailoverProfile;
  /** Activity interceptors to run outside Steadfast's own (e.g. the crash points of tests). */
  outerActivityInterceptors?: ActivityInterceptorsFactory[];
  /** Overrides for tests and benchmarks (e.g. `identity`, `shutdownGraceTime`). */
  overrides?: Partial<WorkerOptions>;
}

/** Creates (but does not run) a worker with every Steadfast workflow and activity. */
export async function createWorker(opts: SteadfastWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities(opts.store),
    dataConverter: { failureConverterPath: FAILURE_CONVERTER_PATH },
    interceptors: { activity: [...(opts.outerActivityInterceptors ?? []), faultInjection, attemptReporting] },
    ...failoverWorkerOptions(opts.failoverProfile),
    ...opts.overrides,
  });
}
