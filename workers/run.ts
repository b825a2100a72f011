/**
 * A standalone worker process (`steadfast worker`): connects to the configured server (or
 * 127.0.0.1:7233, where `steadfast server` listens), opens the effect store, registers Steadfast's
 * search attributes if the namespace lacks them, and polls the task queue until SIGINT or SIGTERM,
 * on which it shuts down gracefully: it stops polling, lets running tasks finish (within the
 * worker's shutdown grace time), then closes the store and the connection.
 */
import { NativeConnection, type Worker } from '@temporalio/worker';
import { prepareStore } from '../activities';
import { openStore } from '../activities/store';
import { loadConfig, serverAddress, type SteadfastConfig } from '../platform/config';
import { ensureSearchAttributes } from '../platform/search-attributes';
import { createWorker } from './worker';

/** What a running worker reports once it polls. */
export interface WorkerReady {
  address: string;
  namespace: string;
  taskQueue: string;
  store: string;
  /** Search attributes this worker had to register. */
  registered: string[];
}

/** Thrown when the worker cannot reach its server; the message names the address tried. */
export class WorkerConnectError extends Error {
  override readonly name = 'WorkerConnectError';
}

/** Options of {@link runWorker}. */
export interface RunWorkerOptions {
  config?: SteadfastConfig;
  /** Called once the worker polls. */
  onReady?(ready: WorkerReady): void;
  /** Called when a shutdown signal arrives. */
  onShutdown?(signal: NodeJS.Signals): void;
}

/**
 * Runs a worker until SIGINT/SIGTERM (the SDK runtime's shutdown signals) and returns once it has
 * shut down. Installs no runtime itself: call `installRuntime()` first.
 */
export async function runWorker(opts: RunWorkerOptions = {}): Promise<void> {
  const config = opts.config ?? loadConfig();
  const { address, source } = serverAddress(config);
  const { namespace } = config.temporal;
  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect({ address, ...config.temporal.connectionOptions });
  } catch (err) {
    throw new WorkerConnectError(
      `cannot reach the Temporal server at ${address} (${source}): ${(err as Error).message}. ` +
        'Start one with "steadfast server", or set TEMPORAL_ADDRESS to a running server.',
      { cause: err },
    );
  }
  const store = openStore(config.storeUrl);
  const onSignal = (signal: NodeJS.Signals) => opts.onShutdown?.(signal);
  let worker: Worker | undefined;
  try {
    const registered = await ensureSearchAttributes(connection, namespace);
    await prepareStore(store);
    worker = await createWorker({ connection, namespace, taskQueue: config.taskQueue, store });
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const running = worker.run();
    opts.onReady?.({ address, namespace, taskQueue: config.taskQueue, store: `${store.kind} ${store.location}`, registered });
    await running;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await store.close().catch((err) => console.error('closing the effect store failed:', err));
    await connection.close().catch((err) => console.error('closing the connection failed:', err));
  }
}
