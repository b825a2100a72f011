/**
 * A Steadfast worker process: `npm run worker` (`tsx workers/main.ts`).
 *
 * Connects to `TEMPORAL_ADDRESS` (or starts an embedded dev server when none is configured, as every
 * Steadfast entry point does), opens the effect store named by `STEADFAST_STORE`, and polls
 * `STEADFAST_TASK_QUEUE` with every workflow and activity, using the failover settings of
 * `workers/settings.ts`.
 *
 * On SIGTERM or SIGINT it stops polling, lets in-flight activities finish within the shutdown grace
 * time, then exits 0. An activity still running when the grace time ends is cancelled: a checkpointed
 * stage stops at a chunk boundary and its next attempt, on another worker, resumes from there. If
 * shutdown cannot finish by the force time, it exits 1. A bad setting exits 2.
 *
 * Worker-only variables (the shared ones are read by `platform/config.ts`):
 *   STEADFAST_WORKER_IDENTITY   identity shown in histories (default `steadfast-worker-<pid>@<host>`)
 *   STEADFAST_FAILOVER_PROFILE  `steadfast` (default) or `temporal-defaults` (for comparisons)
 *   STEADFAST_SHUTDOWN_GRACE    overrides the profile's shutdown grace time (e.g. `45s`, to match a
 *                               longer termination grace period); the force time is 5 s more
 *   STEADFAST_WORKFLOW_BUNDLE   a pre-built workflow bundle file (skips bundling at start)
 *   STEADFAST_CRASH_POINTS_DIR  enables the crash points of `workers/crash-points.ts` (tests, benchmarks)
 */
import fs from 'node:fs';
import os from 'node:os';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import type { WorkerOptions } from '@temporalio/worker';
import { prepareStore } from '../activities';
import { faultInjection } from '../activities/fault-injection';
import { openStore, type EffectStore } from '../activities/store';
import { ConfigError, loadConfig } from '../platform/config';
import { installRuntime } from '../platform/runtime';
import { openTemporal, type TemporalHandle } from '../platform/servers';
import { crashPointBundle, crashPointOptions } from './crash-points';
import type { FailoverProfile } from './settings';
import { createWorker } from './worker';

/** The line a worker process prints once it polls; harnesses wait for it. */
export const WORKER_READY_MARKER = 'steadfast-worker-ready ';

const PROFILES: FailoverProfile[] = ['steadfast', 'temporal-defaults'];

function readEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** The worker-only settings, checked. */
export function loadWorkerProcessConfig(env: NodeJS.ProcessEnv = process.env) {
  const profile = (readEnv(env, 'STEADFAST_FAILOVER_PROFILE') ?? 'steadfast') as FailoverProfile;
  if (!PROFILES.includes(profile)) {
    throw new ConfigError(`STEADFAST_FAILOVER_PROFILE must be one of ${PROFILES.join(', ')}; got "${profile}"`);
  }
  const grace = readEnv(env, 'STEADFAST_SHUTDOWN_GRACE');
  let shutdownGraceMs: number | undefined;
  if (grace !== undefined) {
    try {
      shutdownGraceMs = msToNumber(grace as Duration);
    } catch {
      shutdownGraceMs = NaN;
    }
    if (!(shutdownGraceMs >= 0)) {
      throw new ConfigError(`STEADFAST_SHUTDOWN_GRACE must be a duration such as "20s" or "1500ms"; got "${grace}"`);
    }
  }
  const bundlePath = readEnv(env, 'STEADFAST_WORKFLOW_BUNDLE');
  if (bundlePath && !fs.existsSync(bundlePath)) {
    throw new ConfigError(`STEADFAST_WORKFLOW_BUNDLE names a file that does not exist: "${bundlePath}"`);
  }
  const crashPointsDir = readEnv(env, 'STEADFAST_CRASH_POINTS_DIR');
  if (crashPointsDir && !fs.statSync(crashPointsDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new ConfigError(`STEADFAST_CRASH_POINTS_DIR must be an existing directory; got "${crashPointsDir}"`);
  }
  return {
    identity: readEnv(env, 'STEADFAST_WORKER_IDENTITY') ?? `steadfast-worker-${process.pid}@${os.hostname()}`,
    profile,
    shutdownGraceMs,
    bundlePath,
    crashPointsDir,
  };
}

/** Runs the worker until a shutdown signal; resolves with the process exit code. */
export async function runWorkerProcess(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  installRuntime('WARN');
  let config, processConfig;
  try {
    config = loadConfig(env);
    processConfig = loadWorkerProcessConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`steadfast worker: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const { identity, profile, shutdownGraceMs, bundlePath, crashPointsDir } = processConfig;

  let temporal: TemporalHandle | undefined;
  let store: EffectStore | undefined;
  try {
    temporal = await openTemporal({}, config);
    store = openStore(config.storeUrl);
    await prepareStore(store);

    const overrides: Partial<WorkerOptions> = { identity };
    if (shutdownGraceMs !== undefined) {
      overrides.shutdownGraceTime = shutdownGraceMs;
      overrides.shutdownForceTime = shutdownGraceMs + 5_000;
    }
    if (bundlePath) overrides.workflowBundle = { codePath: bundlePath };
    if (crashPointsDir) {
      const { activityInterceptor, sinks } = crashPointOptions(crashPointsDir, identity);
      // Outermost, so that activity-start is reported even for attempts that fault injection fails.
      overrides.interceptors = { activity: [activityInterceptor, faultInjection] };
      overrides.sinks = sinks;
      overrides.workflowBundle ??= await crashPointBundle();
    }
    const worker = await createWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue: config.taskQueue,
      store,
      failoverProfile: profile,
      overrides,
    });
    const running = worker.run();
    console.log(
      `${WORKER_READY_MARKER}${JSON.stringify({ identity, pid: process.pid, taskQueue: config.taskQueue, address: temporal.address, profile })}`,
    );
    // Resolves once the SDK's signal handler (SIGINT, SIGTERM) has shut the worker down: polling
    // stopped, in-flight tasks finished or, past the grace time, cancelled.
    await running;
    console.log(`steadfast worker ${identity}: shut down cleanly`);
    return 0;
  } catch (err) {
    console.error(`steadfast worker ${identity}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await store?.close().catch((err) => console.error('closing the effect store failed:', err));
    await temporal?.close().catch((err) => console.error('closing the Temporal connection failed:', err));
  }
}

if (require.main === module) {
  runWorkerProcess().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
