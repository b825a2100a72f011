/**
 * `steadfast/worker`: running the user's workflows and activities with Steadfast's interceptors
 * and failover settings, as a process with graceful shutdown and Prometheus metrics.
 *
 * @example
 * import { NativeConnection } from '@temporalio/worker';
 * import { createWorker, installRuntime } from 'steadfast/worker';
 * import { openStore } from 'steadfast/activity';
 * import { createActivities } from '../activities';
 *
 * installRuntime('INFO');
 * const store = openStore(process.env.STEADFAST_STORE);
 * const worker = await createWorker({
 *   connection: await NativeConnection.connect({ address: 'localhost:7233' }),
 *   namespace: 'default',
 *   taskQueue: 'trips',
 *   workflowsPath: require.resolve('../workflows'),
 *   activities: createActivities(store),
 * });
 * await worker.run();
 *
 * Tracing (OpenTelemetry, through the SDK's interceptors): give the worker a tracer and it records
 * a span for each activity attempt and exports the workflow's spans, all in the run's trace.
 *
 * @example
 * import { createWorker, startTracing } from 'steadfast/worker';
 *
 * const tracing = startTracing({ otlpEndpoint: 'http://127.0.0.1:4318/v1/traces', serviceName: 'trips-worker' });
 * const worker = await createWorker({ connection, namespace, taskQueue, workflowsPath, activities, tracing });
 * await worker.run();
 * await tracing.shutdown();
 *
 * @packageDocumentation
 */
export {
  createWorker,
  faultInjectionFromEnv,
  workflowBundle,
  WorkerSetupError,
  type BundleConverterOptions,
  WORKFLOW_INTERCEPTOR_MODULES,
  TRACING_WORKFLOW_MODULE,
  type SteadfastWorkerOptions,
  type WorkflowBundleSource,
  type WorkflowBundlerOptions,
} from './create-worker';
export {
  runWorker,
  defaultWorkerIdentity,
  loadWorkerProcessConfig,
  WorkerConnectError,
  type RunWorkerOptions,
  type WorkerReady,
} from './run-worker';
export {
  runSupervisor,
  supervisedBundle,
  FailoverSupervisor,
  type SupervisedBundleOptions,
  SupervisorConfigError,
  WORKER_PROCESS_EXITED,
  FAILED_ATTEMPT_RETRY_DELAY,
  type RunSupervisorOptions,
  type FailoverSupervisorOptions,
  type SupervisorEvent,
} from './supervisor';
export { SUPERVISED_ENV, type SupervisionMessage } from './supervised-child';
export {
  STEADFAST_FAILOVER,
  TEMPORAL_DEFAULTS,
  failoverSettings,
  failoverWorkerOptions,
  type FailoverProfile,
  type FailoverSettings,
} from '../common/failover';
export { installRuntime, jsonLogLine, metricsBindAddress, type RuntimeSettings } from '../platform/runtime';
export { startTracing, tracingFromConfig, type SteadfastTracing, type TracingOptions } from '../tracing/tracing';
export { type TracingTargets, type TracingEnv, type ProjectTracing } from '../tracing/settings';
export { ensureSearchAttributes } from '../platform/search-attributes';
export {
  loadConfig,
  ConfigError,
  assertStoreForRemoteServer,
  isLoopbackAddress,
  plaintextConnectionWarning,
  type SteadfastConfig,
  type TemporalConfig,
} from '../platform/config';
export {
  AesGcmCodec,
  CodecKeyError,
  CodecKeyRing,
  DEMO_CODEC_KEY_ID,
  demoCodecKeys,
  startDemoCodecServer,
  type DemoCodecKeys,
  type DemoCodecServer,
  type DemoCodecServerOptions,
  loadCodecKeys,
  parseCodecKeys,
  steadfastDataConverter,
  startCodecServer,
  type CodecServer,
  type CodecServerOptions,
} from '../codec';
