/**
 * Running a worker as a process: the one implementation behind `npm run worker` (workers/main.ts),
 * `steadfast worker`, the crash tests, the failover benchmark and the chaos harness.
 *
 * It connects to the configured server (TEMPORAL_ADDRESS or a temporal.toml profile, else
 * 127.0.0.1:7233, where `steadfast server` listens; a worker never starts a server), registers
 * Steadfast's search attributes if the namespace lacks them, opens the effect store, and polls the
 * task queue until SIGINT or SIGTERM. On a signal the SDK runtime shuts the worker down gracefully:
 * it stops polling (readiness turns 503 at once), lets in-flight activities finish within the
 * shutdown grace time (a checkpointed stage still running then is cancelled and stops at a chunk
 * boundary; its next attempt resumes there), then the store, connection and health endpoint are
 * closed.
 *
 * Worker-only variables (the shared ones are read by `platform/config.ts`):
 *   STEADFAST_WORKER_IDENTITY   identity shown in histories (default `steadfast-worker-<pid>@<host>`)
 *   STEADFAST_FAILOVER_PROFILE  `steadfast` (default) or `temporal-defaults` (for comparisons)
 *   STEADFAST_SHUTDOWN_GRACE    overrides the profile's shutdown grace time (e.g. `45s`, to match a
 *                               longer termination grace period); the force time is 5 s more
 *   STEADFAST_STICKY_TIMEOUT    overrides the profile's sticky schedule-to-start timeout (e.g.
 *                               `500ms`): how long a task waits on this worker's sticky queue
 *                               before any worker may take it (docs/PERFORMANCE.md measures it)
 *   STEADFAST_WORKFLOW_BUNDLE   a pre-built workflow bundle file (skips bundling at start)
 *   STEADFAST_HEALTH_PORT       serve `/healthz` and `/readyz` (see `health.ts`) on this port, bound
 *                               on 127.0.0.1, or on `host:port` (`0.0.0.0:8080` in a container);
 *                               off unless set
 *   STEADFAST_FAULT_INJECTION   `1` honours the fault plans in runs' memos (demo, chaos, tests);
 *                               off by default, so a production worker ignores them
 *   STEADFAST_CRASH_POINTS_DIR  enables the crash points of `crash-points.ts` (tests, benchmarks);
 *                               only together with STEADFAST_FAULT_INJECTION=1
 *   STEADFAST_SUPERVISED        `1` (set by a supervisor, with an IPC channel): report in-flight
 *                               activity attempts and cached runs to the supervisor (`supervisor.ts`)
 *
 * A worker whose server is not on this machine needs an explicit STEADFAST_STORE, and warns when
 * its connection has no TLS. With codec keys configured it encrypts payloads and failure messages.
 * With tracing on (STEADFAST_TRACE=1 or `tracing` in the project's config) it records spans named
 * by its identity, and flushes them once it has shut down.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import {
  NativeConnection,
  type ActivityInterceptorsFactory,
  type InjectedSinks,
  type Worker,
  type WorkerOptions,
} from '@temporalio/worker';
import type { Sinks } from '@temporalio/workflow';
import { openStore } from '../activity/store';
import { untilStoreReady } from '../activity/store/ready';
import type { SteadfastProject } from '../config/project';
import {
  assertStoreForRemoteServer,
  ConfigError,
  loadConfig,
  plaintextConnectionWarning,
  serverAddress,
  type SteadfastConfig,
} from '../platform/config';
import { bindAddressSetting } from '../platform/runtime';
import { crashPointBundle, crashPointOptions } from './crash-points';
import { startHealthServer, type HealthServer } from './health';
import type { FailoverProfile } from '../common/failover';
import { createWorkerReporting, faultInjectionFromEnv } from './create-worker';
import { tracingFromConfig, type SteadfastTracing } from '../tracing/tracing';
import { isSupervised, SUPERVISED_ENV, supervisedWorkerOptions, tellSupervisor } from './supervised-child';

const PROFILES: FailoverProfile[] = ['steadfast', 'temporal-defaults'];

/** The identity a worker process uses unless STEADFAST_WORKER_IDENTITY says otherwise. */
export function defaultWorkerIdentity(pid: number = process.pid): string {
  return `steadfast-worker-${pid}@${os.hostname()}`;
}

function readEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** A duration variable (`20s`, `1500ms`) in milliseconds, at least `min`; a bad one throws a {@link ConfigError}. */
function durationEnv(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const value = readEnv(env, name);
  if (value === undefined) return undefined;
  let ms: number;
  try {
    ms = msToNumber(value as Duration);
  } catch {
    ms = NaN;
  }
  if (!(ms >= min)) {
    throw new ConfigError(`${name} must be a duration${min > 0 ? ` of at least ${min} ms` : ''} such as "20s" or "1500ms"; got "${value}"`);
  }
  return ms;
}

/** The worker-only settings, checked; a bad one throws a {@link ConfigError} naming the variable. */
export function loadWorkerProcessConfig(env: NodeJS.ProcessEnv = process.env) {
  const profile = (readEnv(env, 'STEADFAST_FAILOVER_PROFILE') ?? 'steadfast') as FailoverProfile;
  if (!PROFILES.includes(profile)) {
    throw new ConfigError(`STEADFAST_FAILOVER_PROFILE must be one of ${PROFILES.join(', ')}; got "${profile}"`);
  }
  const shutdownGraceMs = durationEnv(env, 'STEADFAST_SHUTDOWN_GRACE', 0);
  const stickyTimeoutMs = durationEnv(env, 'STEADFAST_STICKY_TIMEOUT', 1);
  const bundlePath = readEnv(env, 'STEADFAST_WORKFLOW_BUNDLE');
  if (bundlePath && !fs.existsSync(bundlePath)) {
    throw new ConfigError(`STEADFAST_WORKFLOW_BUNDLE names a file that does not exist: "${bundlePath}"`);
  }
  const faultInjectionSetting = readEnv(env, 'STEADFAST_FAULT_INJECTION')?.toLowerCase() ?? '0';
  if (!['0', '1', 'true', 'false'].includes(faultInjectionSetting)) {
    throw new ConfigError(`STEADFAST_FAULT_INJECTION must be 1 (on) or 0 (off, the default); got "${faultInjectionSetting}"`);
  }
  const healthSetting = readEnv(env, 'STEADFAST_HEALTH_PORT');
  let healthBind: string | undefined;
  if (healthSetting !== undefined) {
    try {
      healthBind = bindAddressSetting('STEADFAST_HEALTH_PORT', healthSetting, true);
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
  }
  const faultInjection = faultInjectionFromEnv(env);
  const crashPointsDir = readEnv(env, 'STEADFAST_CRASH_POINTS_DIR');
  if (crashPointsDir && !faultInjection) {
    throw new ConfigError('STEADFAST_CRASH_POINTS_DIR is a test hook: it needs STEADFAST_FAULT_INJECTION=1 as well');
  }
  if (crashPointsDir && !fs.statSync(crashPointsDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new ConfigError(`STEADFAST_CRASH_POINTS_DIR must be an existing directory; got "${crashPointsDir}"`);
  }
  return {
    faultInjection,
    identity: readEnv(env, 'STEADFAST_WORKER_IDENTITY') ?? defaultWorkerIdentity(),
    profile,
    shutdownGraceMs,
    stickyTimeoutMs,
    bundlePath,
    crashPointsDir,
    healthBind,
  };
}

/** What a running worker reports once it polls. */
export interface WorkerReady {
  /** The identity it polls with (`STEADFAST_WORKER_IDENTITY`, or `steadfast-worker-<pid>@<host>`). */
  identity: string;
  /** Its process id. */
  pid: number;
  /** The `host:port` of the server it connected to. */
  address: string;
  /** The namespace it polls. */
  namespace: string;
  /** The task queue it polls. */
  taskQueue: string;
  /** The failover profile in use (`STEADFAST_FAILOVER_PROFILE`). */
  profile: FailoverProfile;
  /** The effect store: its kind and printable location (no password), e.g. `sqlite /app/.steadfast/effects.db`. */
  store: string;
  /** Whether it honours fault plans (STEADFAST_FAULT_INJECTION=1). */
  faultInjection: boolean;
  /** The id of the key that encrypts new payloads; absent when payloads are not encrypted. */
  codecKey?: string;
  /** Search attributes this worker had to register. */
  registered: string[];
  /** Where its spans go, when it traces. */
  tracing?: { file?: string; otlpEndpoint?: string };
  /** `host:port` of its `/healthz` and `/readyz` endpoint; absent unless STEADFAST_HEALTH_PORT is set. */
  health?: string;
}

/** Thrown when the worker cannot reach its server; the message names the address tried. */
export class WorkerConnectError extends Error {
  /** Always `WorkerConnectError`. */
  override readonly name = 'WorkerConnectError';
}

/** Options of {@link runWorker}. */
export interface RunWorkerOptions {
  /** The user's workflows and activities (the default export of `steadfast.config.ts`). */
  project: SteadfastProject;
  /** The shared configuration (server, namespace, task queue, store, codec keys); default `loadConfig(env)`. */
  config?: SteadfastConfig;
  /** Where the worker-only variables are read from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Called once the worker polls. */
  onReady?(ready: WorkerReady): void;
  /** Called when a shutdown signal arrives. */
  onShutdown?(signal: NodeJS.Signals): void;
}

/**
 * Runs a worker until SIGINT/SIGTERM (the SDK runtime's shutdown signals) and returns once it has
 * shut down. Installs no runtime itself: call `installRuntime()` first. Throws a
 * {@link ConfigError} for a bad setting and a {@link WorkerConnectError} for an unreachable server.
 * A store that is down at start is waited for; a signal during that wait returns without polling.
 *
 * @example
 * // workers/main.ts
 * import { installRuntime, runWorker } from 'steadfast/worker';
 * import project from '../steadfast.config';
 *
 * installRuntime('INFO');
 * runWorker({ project, onReady: (r) => console.log(`worker ${r.identity} polls ${r.taskQueue}`) }).catch((err) => {
 *   console.error(err.message);
 *   process.exit(1);
 * });
 */
export async function runWorker(opts: RunWorkerOptions): Promise<void> {
  const env = opts.env ?? process.env;
  const config = opts.config ?? loadConfig(env);
  const { identity, profile, shutdownGraceMs, stickyTimeoutMs, bundlePath, crashPointsDir, faultInjection, healthBind } = loadWorkerProcessConfig(env);
  const supervised = isSupervised(env);
  if (supervised && !bundlePath) {
    // The supervision sink exists only in the bundle its supervisor builds.
    throw new ConfigError(`${SUPERVISED_ENV}=1 needs STEADFAST_WORKFLOW_BUNDLE: the bundle the supervisor built`);
  }
  assertStoreForRemoteServer(config);
  const { address, source } = serverAddress(config);
  const warning = plaintextConnectionWarning(config, address);
  if (warning) console.warn(warning);
  const { namespace } = config.temporal;
  const stopping = new AbortController();
  let worker: Worker | undefined;
  // Up from the start, so that a probe sees "live, not ready" while the worker connects, waits for
  // its store and bundles its workflows.
  let health: HealthServer | undefined;
  if (healthBind) {
    health = await startHealthServer(healthBind, () => {
      if (!worker) return { live: true, ready: false, state: stopping.signal.aborted ? 'STOPPING' : 'STARTING' };
      const state = worker.getState();
      return { live: state !== 'FAILED', ready: state === 'RUNNING' && !stopping.signal.aborted, state };
    }).catch((err: Error) => {
      throw new ConfigError(err.message, { cause: err });
    });
  }
  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect({ address, ...config.temporal.connectionOptions });
  } catch (err) {
    await health?.close();
    throw new WorkerConnectError(
      `cannot reach the Temporal server at ${address} (${source}): ${(err as Error).message}. ` +
        'Start one with "steadfast server", or set TEMPORAL_ADDRESS to a running server.',
      { cause: err },
    );
  }
  let tracing: SteadfastTracing | undefined;
  try {
    tracing = tracingFromConfig(config, opts.project.tracing, { serviceName: 'steadfast-worker', identity });
  } catch (err) {
    await connection.close();
    await health?.close();
    throw new ConfigError((err as Error).message);
  }
  const store = openStore(config.storeUrl);
  const onSignal = (signal: NodeJS.Signals) => {
    stopping.abort();
    opts.onShutdown?.(signal);
  };
  // Before the store wait, so that a signal while the store is down ends the process cleanly.
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // A store that is down at start is waited for (with a log line per try), not a crash.
    const prepared = await untilStoreReady(async () => {
      await store.migrate([]);
      await opts.project.prepareStore?.(store);
    }, { location: `${store.kind} ${store.location}`, signal: stopping.signal });
    if (!prepared) return;
    const overrides: Partial<WorkerOptions> = { identity };
    if (shutdownGraceMs !== undefined) {
      overrides.shutdownGraceTime = shutdownGraceMs;
      overrides.shutdownForceTime = shutdownGraceMs + 5_000;
    }
    if (stickyTimeoutMs !== undefined) overrides.stickyQueueScheduleToStartTimeout = stickyTimeoutMs;
    if (bundlePath) overrides.workflowBundle = { codePath: bundlePath };
    const outerActivityInterceptors: ActivityInterceptorsFactory[] = [];
    const sinks: InjectedSinks<Sinks> = {};
    if (supervised) {
      // Outermost of all: an attempt held at a crash point is still in flight for the supervisor.
      const child = supervisedWorkerOptions();
      outerActivityInterceptors.push(child.activityInterceptor);
      Object.assign(sinks, child.sinks);
    }
    if (crashPointsDir) {
      const crash = crashPointOptions(crashPointsDir, identity);
      // Outside Steadfast's own, so that activity-start is reported even for attempts that fault injection fails.
      outerActivityInterceptors.push(crash.activityInterceptor);
      Object.assign(sinks, crash.sinks);
      overrides.workflowBundle ??= await crashPointBundle(opts.project, {
        encodeFailures: config.codecKeys !== undefined,
        tracing: tracing !== undefined,
      });
    }
    if (Object.keys(sinks).length) overrides.sinks = sinks;
    let registered: string[];
    ({ worker, registered } = await createWorkerReporting({
      connection,
      namespace,
      taskQueue: config.taskQueue,
      workflowsPath: opts.project.workflowsPath,
      workflowInterceptorModules: opts.project.workflowInterceptorModules,
      bundlerOptions: opts.project.bundlerOptions,
      activities: opts.project.activities(store),
      faultInjection,
      codecKeys: config.codecKeys,
      failoverProfile: profile,
      activityInterceptors: outerActivityInterceptors.length ? outerActivityInterceptors : undefined,
      tracing,
      overrides,
    }));
    const running = worker.run();
    if (supervised) tellSupervisor({ steadfast: 'ready', identity });
    opts.onReady?.({
      identity,
      pid: process.pid,
      address,
      namespace,
      taskQueue: config.taskQueue,
      profile,
      store: `${store.kind} ${store.location}`,
      faultInjection,
      ...(config.codecKeys ? { codecKey: config.codecKeys.current } : {}),
      registered,
      ...(tracing ? { tracing: { file: tracing.targets.file, otlpEndpoint: tracing.targets.otlpEndpoint } } : {}),
      ...(health ? { health: health.address } : {}),
    });
    // Resolves once the SDK's signal handler has shut the worker down: polling stopped, in-flight
    // tasks finished or, past the grace time, cancelled.
    await running;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await tracing?.shutdown().catch((err) => console.error('flushing the spans failed:', err));
    await store.close().catch((err) => console.error('closing the effect store failed:', err));
    await connection.close().catch((err) => console.error('closing the connection failed:', err));
    await health?.close();
  }
}
