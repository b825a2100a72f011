/**
 * Building a worker for the user's own workflows and activities, with what Steadfast adds: its
 * workflow interceptors (fault-plan propagation, fault recording, the failover profile), its
 * activity interceptors (attempt reports and, when enabled, fault injection), its data converter
 * (payload encryption when codec keys are given), its failover settings and, when given a tracer,
 * the SDK's OpenTelemetry interceptors and workflow span sink.
 */
import fs from 'node:fs';
import type { Logger } from '@temporalio/common';
import {
  bundleWorkflowCode,
  type ActivityInterceptorsFactory,
  type BundleOptions,
  type NativeConnection,
  Runtime,
  Worker,
  type WorkerOptions,
} from '@temporalio/worker';
import { attemptReporting } from '../activity/attempt-report';
import { faultInjection } from '../activity/fault-injection';
import {
  ENCODED_FAILURES_MARKER,
  FAILURE_CONVERTER_PATH,
  PATH_FREE_FAILURE_CONVERTER_PATH,
  steadfastDataConverter,
  type CodecKeyRing,
} from '../codec';
import { failoverWorkerOptions, type FailoverProfile } from '../common/failover';
import { STEADFAST_SEARCH_ATTRIBUTES } from '../common/search-attributes';
import { ensureSearchAttributes, registerCommand } from '../platform/search-attributes';
import { OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor, makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry/lib/worker';
import { trace } from '@opentelemetry/api';
import type { SteadfastTracing } from '../tracing/tracing';
import { STEP_SPAN_ATTRIBUTE } from '../workflow/tracing';

/** Steadfast's workflow interceptor modules, added to every bundle. */
export const WORKFLOW_INTERCEPTOR_MODULES = [
  require.resolve('../workflow/interceptors'),
  require.resolve('../workflow/failover-profile'),
];

/** The SDK's OpenTelemetry workflow interceptors and Steadfast's step attributes, bundled first when the worker traces. */
export const TRACING_WORKFLOW_MODULE = require.resolve('../workflow/tracing');

/** The module that switches fault marking off, bundled when the namespace lacks the search attributes. */
export const FAULT_MARKING_OFF_MODULE = require.resolve('../workflow/fault-marking-off');

/** The module that stops carrying the saga step through async context, bundled when `stepContext` is off. */
export const STEP_CONTEXT_OFF_MODULE = require.resolve('../workflow/step-context-off');

/**
 * Bundler options a project may add: a webpack hook (aliases, loaders), `ignoreModules`, and
 * `preloadModules`: the project's own workflow-side modules (absolute paths) to evaluate once per
 * V8 context and share between runs, as Steadfast's own are (the SDK freezes their exports). Only for
 * modules that keep no per-run state at module level and only read their constants: a large table
 * of rules, a schema. Listed after Steadfast's, so they may import `steadfast/workflow`.
 */
export type WorkflowBundlerOptions = Pick<BundleOptions, 'webpackConfigHook' | 'ignoreModules' | 'preloadModules'>;

/** What to bundle: the user's workflows module and any workflow interceptor modules of their own. */
export interface WorkflowBundleSource {
  /** Absolute path of the module that exports the workflow functions (e.g. `require.resolve('./workflows')`). */
  workflowsPath: string;
  /** The user's own workflow interceptor modules, added after Steadfast's. */
  workflowInterceptorModules?: string[];
  /** Extra webpack options for the bundle (a `webpackConfigHook`, `ignoreModules`); default none. */
  bundlerOptions?: WorkflowBundlerOptions;
}

/**
 * The entries workflow code may import, resolved in the same copy of Steadfast as the interceptor
 * modules above. In an installed package this is what the package's exports give anyway; in a
 * checkout, where a worker may run from the TypeScript sources while `steadfast/workflow` names the
 * compiled `dist/`, it keeps the bundle from holding Steadfast (and zod) twice.
 */
const SAME_COPY_ALIASES: Record<string, string> = {
  'steadfast/workflow$': require.resolve('../workflow'),
  'steadfast/schemas$': require.resolve('../schemas'),
};

type WebpackConfigHook = NonNullable<BundleOptions['webpackConfigHook']>;

/** Adds {@link SAME_COPY_ALIASES}, then runs the project's own hook, whose aliases win. */
function sameCopyHook(projectHook: WebpackConfigHook | undefined): WebpackConfigHook {
  return (config) => {
    const withAliases = { ...config, resolve: { ...config.resolve, alias: { ...SAME_COPY_ALIASES, ...config.resolve?.alias } } };
    return projectHook ? projectHook(withAliases) : withAliases;
  };
}

/**
 * Steadfast's own workflow-side modules that every run of a bundle may share: the entry point
 * (`steadfast/workflow`, with the saga, `stepKey` and the activity options) and the interceptor
 * modules, with the modules that switch a feature off for the whole bundle. With a reused V8 context
 * (the SDK's default), the sandbox evaluates a module once per run when a run first requires it; a
 * module preloaded at the context's creation is evaluated once and shared (the SDK freezes its
 * exports), as the SDK's own modules are. None of these keeps per-run state at module level: their
 * state lives in the run's interceptor and saga objects, and their flags (`disableStepContext`,
 * `disableFaultMarking`) are the same for every run of a bundle. In bench:saga this was 5–7 % of
 * the eager configuration's throughput (docs/PERFORMANCE.md). Tracing, the supervision and crash
 * point sinks, the user's modules and zod (loaded on first use, and not freezable) are not preloaded.
 */
const SHARED_WORKFLOW_MODULES = [require.resolve('../workflow'), ...WORKFLOW_INTERCEPTOR_MODULES];
/** Preloaded when the bundle has them (they set a bundle-wide flag when evaluated). */
const SHARED_IF_BUNDLED = [FAULT_MARKING_OFF_MODULE, STEP_CONTEXT_OFF_MODULE];

const QUIET_BUNDLER_LOGGER = { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} };

const bundles = new Map<string, ReturnType<typeof bundleWorkflowCode>>();

/** A number per webpack hook, so that bundles made with different hooks are cached apart. */
const hookIds = new WeakMap<WebpackConfigHook, number>();
let hooksSeen = 0;
function hookId(hook: WebpackConfigHook): number {
  const known = hookIds.get(hook);
  if (known !== undefined) return known;
  hookIds.set(hook, ++hooksSeen);
  return hooksSeen;
}

/** How a bundle treats failures, and whether it traces. */
export interface BundleConverterOptions {
  /**
   * Encode failure messages and stack traces into payloads, so that a codec encrypts them
   * (`encodeCommonAttributes`): needed whenever codec keys are configured.
   */
  encodeFailures?: boolean;
  /**
   * Bundle the OpenTelemetry workflow interceptors (outermost), for a worker that traces: without
   * them the workflow's own spans are missing and activities are not linked to the run's trace.
   */
  tracing?: boolean;
  /**
   * Carry the saga step through the sandbox's async context, so that log lines and activity spans
   * name it (`step`, `steadfast.step`). Default: on, unless `STEADFAST_STEP_CONTEXT` says `off`.
   * Off, they carry no step (the saga's own compensation lines still name theirs), and runs do not
   * pay for the async hook that Node 20 then runs for every promise of the workflow thread: in
   * bench:saga `tuned` it cost 0.2–0.5 ms of worker CPU per run (4–7 ms on a slower VM; docs/PERFORMANCE.md).
   */
  stepContext?: boolean;
}

/**
 * Bundles the workflow code with Steadfast's interceptor modules, once per process, source and
 * options, bundler options included (bundling takes seconds; workers of one process share it).
 */
export function workflowBundle(
  source: WorkflowBundleSource,
  extraModules: string[] = [],
  converter: BundleConverterOptions = {},
): ReturnType<typeof bundleWorkflowCode> {
  const modules = [
    ...(converter.tracing ? [TRACING_WORKFLOW_MODULE] : []),
    ...WORKFLOW_INTERCEPTOR_MODULES,
    ...((converter.stepContext ?? stepContextFromEnv()) ? [] : [STEP_CONTEXT_OFF_MODULE]),
    ...(source.workflowInterceptorModules ?? []),
    ...extraModules,
  ];
  const { bundlerOptions } = source;
  const cacheKey = JSON.stringify([
    source.workflowsPath,
    modules,
    Boolean(converter.encodeFailures),
    bundlerOptions?.ignoreModules ?? [],
    bundlerOptions?.preloadModules ?? [],
    bundlerOptions?.webpackConfigHook ? hookId(bundlerOptions.webpackConfigHook) : 0,
  ]);
  let bundle = bundles.get(cacheKey);
  if (!bundle) {
    bundle = bundleWorkflowCode({
      workflowsPath: source.workflowsPath,
      workflowInterceptorModules: modules,
      // Only the failure converter goes into the sandbox; the payload codec runs outside it. Either
      // way, failures carry no worker file paths.
      failureConverterPath: converter.encodeFailures ? FAILURE_CONVERTER_PATH : PATH_FREE_FAILURE_CONVERTER_PATH,
      logger: QUIET_BUNDLER_LOGGER,
      ...bundlerOptions,
      preloadModules: [
        ...SHARED_WORKFLOW_MODULES,
        ...SHARED_IF_BUNDLED.filter((m) => modules.includes(m)),
        ...(bundlerOptions?.preloadModules ?? []),
      ],
      webpackConfigHook: sameCopyHook(bundlerOptions?.webpackConfigHook),
    });
    bundles.set(cacheKey, bundle);
  }
  return bundle;
}

/** Options of {@link createWorker}. */
export interface SteadfastWorkerOptions extends WorkflowBundleSource {
  /** The worker's connection to the Temporal server (`NativeConnection.connect`); the caller closes it. */
  connection: NativeConnection;
  /** The namespace to poll; Steadfast's search attributes are registered (or checked) on it. */
  namespace: string;
  /** The task queue to poll for workflow and activity tasks. */
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
  /**
   * Payload encryption keys (`loadCodecKeys()`, or `SteadfastConfig.codecKeys`): the worker
   * encrypts what it sends with the current key, decrypts with whichever key a payload names, and
   * encodes failure messages so that they are encrypted too.
   */
  codecKeys?: CodecKeyRing;
  /** Failover settings (see `STEADFAST_FAILOVER`); default `steadfast`. */
  failoverProfile?: FailoverProfile;
  /**
   * Register Steadfast's search attributes on the namespace when it lacks them (default `true`).
   * With `false`, the worker only checks for them. Either way, when they are missing after that,
   * the worker switches fault marking off (runs still compensate; `steadfast faults` does not find
   * them) and logs a warning with the command that registers them.
   */
  registerSearchAttributes?: boolean;
  /**
   * Trace runs with OpenTelemetry (`startTracing()`, or `SteadfastConfig.tracing`): the worker
   * bundles the SDK's workflow interceptors, opens a span for each activity attempt under the span
   * of the workflow that scheduled it, and exports workflow spans through a sink. Spans name the
   * worker by the tracer's resource (`steadfast.identity`).
   */
  tracing?: SteadfastTracing;
  /**
   * Carry the saga step through async context, for `step` on log lines and activity spans (see
   * {@link BundleConverterOptions.stepContext}). Default: on, unless `STEADFAST_STEP_CONTEXT=off`.
   * A pre-built bundle (`overrides.workflowBundle`) keeps what it was built with.
   */
  stepContext?: boolean;
  /** Where the search-attribute warning goes; default the SDK runtime's logger. */
  logger?: Logger;
  /** Anything else of the SDK's `WorkerOptions` (identity, sinks, tuning, a pre-built bundle). */
  overrides?: Partial<WorkerOptions>;
}

/** Thrown when a worker would run with a setting that undoes its protection. */
export class WorkerSetupError extends Error {
  /** Always `WorkerSetupError`. */
  override readonly name = 'WorkerSetupError';
}

/**
 * Refuses a pre-built bundle that lacks `marker`: with encryption on, a bundle that does not encode
 * failure messages would send them to the server in plain text; with tracing on, a bundle without
 * the tracing interceptors would leave the workflow's spans out of every trace.
 */
function assertBundleHas(bundle: WorkerOptions['workflowBundle'], marker: string, problem: string): void {
  if (!bundle) return;
  const code = 'code' in bundle ? bundle.code : fs.readFileSync(bundle.codePath, 'utf8');
  if (!code.includes(marker)) throw new WorkerSetupError(problem);
}

/** Span attribute: the attempt an activity span ran (retries are sibling spans). */
export const ATTEMPT_SPAN_ATTRIBUTE = 'steadfast.attempt';

/**
 * The activity interceptors of the SDK's OpenTelemetry package, recording with this process's
 * tracer, then one that puts the attempt number on the attempt's span (active by then).
 */
function tracingActivityInterceptors(tracing: SteadfastTracing): ActivityInterceptorsFactory[] {
  return [
    (ctx) => ({
      inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer: tracing.tracer }),
      outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
    }),
    (ctx) => ({
      inbound: {
        execute: (input, next) => {
          trace.getActiveSpan()?.setAttribute(ATTEMPT_SPAN_ATTRIBUTE, ctx.info.attempt);
          return next(input);
        },
      },
    }),
  ];
}

/** Whether runs on this worker mark their faults, and the attributes the worker registered. */
interface FaultMarking {
  marking: boolean;
  registered: string[];
}

/**
 * Makes sure the namespace has Steadfast's search attributes (registering them when allowed), or
 * decides to switch fault marking off with a warning. Never throws: a worker without marking still
 * runs every saga to its end.
 */
async function prepareFaultMarking(opts: SteadfastWorkerOptions): Promise<FaultMarking> {
  const { connection, namespace } = opts;
  let why: string;
  if (opts.registerSearchAttributes ?? true) {
    try {
      return { marking: true, registered: await ensureSearchAttributes(connection, namespace) };
    } catch (err) {
      why = (err as Error).message;
    }
  } else {
    try {
      const known = (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
      const missing = STEADFAST_SEARCH_ATTRIBUTES.filter((k) => !(k.name in known));
      if (missing.length === 0) return { marking: true, registered: [] };
      why = `namespace "${namespace}" lacks the search attributes ${missing.map((k) => k.name).join(', ')}`;
    } catch (err) {
      why = `could not list the search attributes of namespace "${namespace}" (${(err as Error).message})`;
    }
  }
  const prebuilt = opts.overrides?.workflowBundle !== undefined;
  (opts.logger ?? Runtime.instance().logger).warn(
    `Steadfast fault marking is off on task queue ${opts.taskQueue}: ${why}. Sagas still compensate, but runs are not ` +
      `marked (SteadfastCompensated, SteadfastFaults, SteadfastFaultKinds), so "steadfast faults" will not find them. ` +
      `To enable it, register the attributes once and restart the worker:\n  ${registerCommand(namespace, STEADFAST_SEARCH_ATTRIBUTES)}` +
      (prebuilt ? `\nThis worker runs a pre-built workflow bundle: build it with ${FAULT_MARKING_OFF_MODULE} among its interceptor modules, or a fault fails the workflow task.` : ''),
  );
  return { marking: false, registered: [] };
}

/**
 * Whether the environment leaves the saga step context on: `STEADFAST_STEP_CONTEXT` unset, `on`,
 * `1` or `true` (on), `off`, `0` or `false` (off). Throws a {@link WorkerSetupError} naming the
 * variable for anything else.
 */
export function stepContextFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.STEADFAST_STEP_CONTEXT?.trim().toLowerCase();
  if (v === undefined || v === '' || v === 'on' || v === '1' || v === 'true') return true;
  if (v === 'off' || v === '0' || v === 'false') return false;
  throw new WorkerSetupError(`STEADFAST_STEP_CONTEXT: expected on or off, got "${env.STEADFAST_STEP_CONTEXT}"`);
}

/** True when the environment turns fault injection on (`STEADFAST_FAULT_INJECTION=1`). */
export function faultInjectionFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.STEADFAST_FAULT_INJECTION?.trim().toLowerCase();
  return v === '1' || v === 'true';
}

/**
 * Creates (but does not run) a worker for the user's workflows and activities, with Steadfast's
 * interceptors and failover settings. Bundles the workflows unless `overrides.workflowBundle` is
 * given (once per process and source). When the namespace lacks Steadfast's search attributes and
 * they cannot be registered, it still creates the worker, with fault marking off and a warning.
 * Rejects with a {@link WorkerSetupError} when codec keys are given with a pre-built bundle that
 * does not encode failures, and with the SDK's error when bundling or `Worker.create` fails.
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
  return (await createWorkerReporting(opts)).worker;
}

/** {@link createWorker}, also telling whether fault marking is on and which attributes it registered. */
export async function createWorkerReporting(opts: SteadfastWorkerOptions): Promise<FaultMarking & { worker: Worker }> {
  const faultMarking = await prepareFaultMarking(opts);
  const extraModules = faultMarking.marking ? [] : [FAULT_MARKING_OFF_MODULE];
  const injecting = opts.faultInjection ?? faultInjectionFromEnv();
  const steadfastActivity = injecting ? [faultInjection, attemptReporting] : [attemptReporting];
  const encrypting = opts.codecKeys !== undefined;
  if (encrypting) {
    assertBundleHas(
      opts.overrides?.workflowBundle,
      ENCODED_FAILURES_MARKER,
      'codec keys are configured but the pre-built workflow bundle does not encode failure messages: ' +
        'build it with workflowBundle(source, modules, { encodeFailures: true })',
    );
  }
  const { tracing } = opts;
  if (tracing) {
    assertBundleHas(
      opts.overrides?.workflowBundle,
      STEP_SPAN_ATTRIBUTE,
      'tracing is on but the pre-built workflow bundle lacks the tracing interceptors: build it with ' +
        'workflowBundle(source, modules, { tracing: true }) (or "steadfast bundle" with STEADFAST_TRACE=1), or turn tracing off',
    );
  }
  // Tracing outermost: an attempt's span covers what Steadfast's interceptors do (an injected
  // fault is an error on the span), and the user's interceptors run inside it.
  const tracingActivity = tracing ? tracingActivityInterceptors(tracing) : [];
  const worker = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle:
      opts.overrides?.workflowBundle ?? (await workflowBundle(opts, extraModules, { encodeFailures: encrypting, tracing: Boolean(tracing), stepContext: opts.stepContext })),
    activities: opts.activities,
    dataConverter: steadfastDataConverter(opts.codecKeys),
    interceptors: { activity: [...tracingActivity, ...(opts.activityInterceptors ?? []), ...steadfastActivity] },
    ...failoverWorkerOptions(opts.failoverProfile),
    ...opts.overrides,
    // The span sink joins any sinks the caller passes (crash points, its own).
    sinks: {
      ...(tracing ? { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) } : {}),
      ...opts.overrides?.sinks,
    },
  });
  return { ...faultMarking, worker };
}
