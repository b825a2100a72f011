/**
 * Building a Steadfast worker: the task queue, the workflows (bundled from `workflows/`), the
 * activities over the effect store, the interceptors (fault plan propagation, and injection when
 * enabled), the data converter (payload encryption when keys are configured) and the failover
 * settings.
 */
import fs from 'node:fs';
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
import { ENCODED_FAILURES_MARKER, FAILURE_CONVERTER_PATH, steadfastDataConverter, type CodecKeyRing } from '../src/codec';
import { failoverWorkerOptions, type FailoverProfile } from './settings';

/** Entry of the workflow bundle and the workflow interceptor modules. */
export const WORKFLOWS_PATH = require.resolve('../workflows');
export const WORKFLOW_INTERCEPTOR_MODULES = [
  require.resolve('../workflows/interceptors'),
  require.resolve('../workflows/failover-profile'),
];

const bundles = new Map<string, ReturnType<typeof bundleWorkflowCode>>();

/** What a workflow bundle is built with. */
export interface BundleOptions {
  /**
   * Encode failure messages and stack traces into payloads (so that a codec encrypts them): on
   * whenever codec keys are configured.
   */
  encodeFailures?: boolean;
  /** More workflow interceptor modules (e.g. the crash points). */
  extraInterceptorModules?: string[];
}

/** Bundles the workflow code once per process and options (bundling takes seconds; workers can share it). */
export function workflowBundle(opts: BundleOptions = {}): ReturnType<typeof bundleWorkflowCode> {
  const id = JSON.stringify([Boolean(opts.encodeFailures), opts.extraInterceptorModules ?? []]);
  let bundle = bundles.get(id);
  if (!bundle) {
    bundle = bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES, ...(opts.extraInterceptorModules ?? [])],
      ...(opts.encodeFailures ? { failureConverterPath: FAILURE_CONVERTER_PATH } : {}),
      logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
    });
    bundles.set(id, bundle);
  }
  return bundle;
}

/** Thrown when a worker would run with a setting that undoes its protection. */
export class WorkerSetupError extends Error {
  override readonly name = 'WorkerSetupError';
}

/**
 * With encryption on, a pre-built bundle must encode failure messages too, or workflow failures
 * would reach the server in plain text.
 */
function assertBundleEncodesFailures(bundle: WorkerOptions['workflowBundle']): void {
  if (!bundle) return;
  const code = 'code' in bundle ? bundle.code : fs.readFileSync(bundle.codePath, 'utf8');
  if (!code.includes(ENCODED_FAILURES_MARKER)) {
    throw new WorkerSetupError(
      'codec keys are configured but the pre-built workflow bundle does not encode failure messages: ' +
        'build it with workflowBundle({ encodeFailures: true }) (or crashPointBundle({ encodeFailures: true }))',
    );
  }
}

export interface SteadfastWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  store: EffectStore;
  /** Failover settings (`workers/settings.ts`); default `steadfast`. */
  failoverProfile?: FailoverProfile;
  /**
   * Honour fault plans (in a run's memo) by injecting the faults they describe. Off by default:
   * anyone who can start a run could otherwise make a committed payment report failure. The demo,
   * the chaos harness and the tests turn it on (`STEADFAST_FAULT_INJECTION=1` for worker processes).
   */
  faultInjection?: boolean;
  /** Payload encryption keys: the worker encrypts what it sends and decrypts what it reads. */
  codecKeys?: CodecKeyRing;
  /** Activity interceptors to run outside Steadfast's own (e.g. the crash points of tests). */
  outerActivityInterceptors?: ActivityInterceptorsFactory[];
  /** Overrides for tests and benchmarks (e.g. `identity`, `shutdownGraceTime`). */
  overrides?: Partial<WorkerOptions>;
}

/** Creates (but does not run) a worker with every Steadfast workflow and activity. */
export async function createWorker(opts: SteadfastWorkerOptions): Promise<Worker> {
  const encrypting = opts.codecKeys !== undefined;
  if (encrypting) assertBundleEncodesFailures(opts.overrides?.workflowBundle);
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: await workflowBundle({ encodeFailures: encrypting }),
    activities: createActivities(opts.store),
    dataConverter: steadfastDataConverter(opts.codecKeys),
    interceptors: {
      activity: [...(opts.outerActivityInterceptors ?? []), ...(opts.faultInjection ? [faultInjection] : []), attemptReporting],
    },
    ...failoverWorkerOptions(opts.failoverProfile),
    ...opts.overrides,
  });
}
