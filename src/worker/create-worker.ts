/**
 * Building a worker for the user's own workflows and activities, with what Steadfast adds: its
 * workflow interceptors (fault-plan propagation, fault recording, the failover profile), its
 * activity interceptors (attempt reports and, when enabled, fault injection) and its failover
 * settings.
 */
import {
  bundleWorkflowCode,
  type ActivityInterceptorsFactory,
  type BundleOptions,
  type NativeConnection,
  Worker,
  type WorkerOptions,
} from '@temporalio/worker';
import { attemptReporting } from '../activity/attempt-report';
import { faultInjection } from '../activity/fault-injection';
import { failoverWorkerOptions, type FailoverProfile } from '../common/failover';

/** Steadfast's workflow interceptor modules, added to every bundle. */
export const WORKFLOW_INTERCEPTOR_MODULES = [
  require.resolve('../workflow/interceptors'),
  require.resolve('../workflow/failover-profile'),
];

/** Bundler options a project may add: a webpack hook (aliases, loaders) and `ignoreModules`. */
export type WorkflowBundlerOptions = Pick<BundleOptions, 'webpackConfigHook' | 'ignoreModules'>;

/** What to bundle: the user's workflows module and any workflow interceptor modules of their own. */
export interface WorkflowBundleSource {
  /** Absolute path of the module that exports the workflow functions (e.g. `require.resolve('./workflows')`). */
  workflowsPath: string;
  /** The user's own workflow interceptor modules, added after Steadfast's. */
  workflowInterceptorModules?: string[];
  bundlerOptions?: WorkflowBundlerOptions;
}

const QUIET_BUNDLER_LOGGER = { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} };

const bundles = new Map<string, ReturnType<typeof bundleWorkflowCode>>();

/**
 * Bundles the workflow code with Steadfast's interceptor modules, once per process and source
 * (bundling takes seconds; workers of one process share it).
 */
export function workflowBundle(source: WorkflowBundleSource, extraModules: string[] = []): ReturnType<typeof bundleWorkflowCode> {
  const modules = [...WORKFLOW_INTERCEPTOR_MODULES, ...(source.workflowInterceptorModules ?? []), ...extraModules];
  const cacheKey = JSON.stringify([source.workflowsPath, modules]);
  let bundle = bundles.get(cacheKey);
  if (!bundle) {
    bundle = bundleWorkflowCode({
      workflowsPath: source.workflowsPath,
      workflowInterceptorModules: modules,
      logger: QUIET_BUNDLER_LOGGER,
      ...source.bundlerOptions,
    });
    bundles.set(cacheKey, bundle);
  }
  return bundle;
}

/** Options of {@link createWorker}. */
export interface SteadfastWorkerOptions extends WorkflowBundleSource {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** The activity functions, e.g. built over the effect store by the user's `createActivities(store)`. */
  activities?: object;
  /** The user's activity interceptors; they run outside Steadfast's own. */
  activityInterceptors?: ActivityInterceptorsFactory[];
  /**
   * Honour fault plans (`steadfast.faults` in a run's memo): chaos runs, demos and tests only.
   * Default: `STEADFAST_FAULT_INJECTION=1` in the environment; off otherwise, so a production
   * worker ignores a fault plan that someone put in a memo.
   */
  faultInjection?: boolean;
  /** Failover settings (see `STEADFAST_FAILOVER`); default `steadfast`. */
  failoverProfile?: FailoverProfile;
  /** Anything else of the SDK's `WorkerOptions` (identity, sinks, tuning, a pre-built bundle). */
  overrides?: Partial<WorkerOptions>;
}

/** True when the environment turns fault injection on (`STEADFAST_FAULT_INJECTION=1`). */
export function faultInjectionFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.STEADFAST_FAULT_INJECTION?.trim().toLowerCase();
  return v === '1' || v === 'true';
}

/**
 * Creates (but does not run) a worker for the user's workflows and activities, with Steadfast's
 * interceptors and failover settings.
 *
 * @example
 * const worker = await createWorker({
 *   connection, namespace: 'default', taskQueue: 'trips',
 *   workflowsPath: require.resolve('../workflows'),
 *   activities: createActivities(store),
 * });
 * await worker.run();
 */
export async function createWorker(opts: SteadfastWorkerOptions): Promise<Worker> {
  const injecting = opts.faultInjection ?? faultInjectionFromEnv();
  const steadfastActivity = injecting ? [faultInjection, attemptReporting] : [attemptReporting];
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: opts.overrides?.workflowBundle ?? (await workflowBundle(opts)),
    activities: opts.activities,
    interceptors: { activity: [...(opts.activityInterceptors ?? []), ...steadfastActivity] },
    ...failoverWorkerOptions(opts.failoverProfile),
    ...opts.overrides,
  });
}
