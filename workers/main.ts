/**
 * A worker process: `npm run worker` (or `node --import tsx workers/main.ts`).
 *
 * Reads the configuration (platform/config.ts), connects to the Temporal server at
 * TEMPORAL_ADDRESS (it never starts one: a worker joins an existing server), opens the effect store
 * at STEADFAST_STORE, and polls STEADFAST_TASK_QUEUE until SIGINT or SIGTERM. On a signal the SDK
 * runtime shuts the worker down gracefully: it stops polling, lets running tasks finish (or cancels
 * them after the grace time), and `run()` returns; then the store and connection are closed.
 *
 * Prints one line, `worker ready: …`, once it polls, so scripts and tests can wait for it.
 * Exit codes: 0 after a graceful shutdown, 1 on a failure, 2 on bad configuration.
 */
import { NativeConnection } from '@temporalio/worker';
import { prepareStore } from '../activities';
import { openStore, type EffectStore } from '../activities/store';
import { ConfigError, loadConfig } from '../platform/config';
import { installRuntime } from '../platform/runtime';
import { createWorker } from './worker';

async function main(): Promise<number> {
  installRuntime('WARN');
  const config = loadConfig();
  const { address, namespace, connectionOptions } = config.temporal;
  if (!address) {
    throw new ConfigError(
      'TEMPORAL_ADDRESS is not set: a worker process joins an existing Temporal server (e.g. TEMPORAL_ADDRESS=127.0.0.1:7233)',
    );
  }
  const connection = await NativeConnection.connect({ address, ...connectionOptions }).catch((err: Error) => {
    throw new Error(`cannot reach the Temporal server at ${address} (TEMPORAL_ADDRESS): ${err.message}`, { cause: err });
  });
  let store: EffectStore | undefined;
  try {
    store = openStore(config.storeUrl);
    await prepareStore(store);
    const worker = await createWorker({ connection, namespace, taskQueue: config.taskQueue, store });
    const running = worker.run();
    console.log(
      `worker ready: pid ${process.pid}, task queue ${config.taskQueue}, namespace ${namespace}, server ${address}, ` +
        `store ${store.kind} ${store.location}`,
    );
    // The runtime's shutdown signals (SIGINT, SIGTERM, …) make run() resolve after a graceful shutdown.
    await running;
    console.log('worker stopped');
    return 0;
  } finally {
    await store?.close().catch((err) => console.error('closing the effect store failed:', err));
    await connection.close().catch((err) => console.error('closing the connection failed:', err));
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(err instanceof ConfigError ? 2 : 1);
    },
  );
}
