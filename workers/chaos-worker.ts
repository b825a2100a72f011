/**
 * A worker process: one Steadfast worker on the configured server, task queue and effect store,
 * until SIGINT/SIGTERM (graceful: the SDK runtime shuts the worker down on those signals).
 * The chaos harness starts these as child processes and SIGKILLs them.
 *
 * Configured only by the environment (platform/config.ts): TEMPORAL_ADDRESS (required: a worker
 * process does not start a server), TEMPORAL_NAMESPACE, STEADFAST_TASK_QUEUE, STEADFAST_STORE,
 * STEADFAST_LOG_LEVEL and STEADFAST_METRICS_PORT (the SDK's Prometheus endpoint).
 *
 * Run: `node --import tsx workers/chaos-worker.ts`. Exit codes: 0 after a graceful shutdown,
 * 2 on bad configuration, 1 when the worker fails.
 */
import { NativeConnection } from '@temporalio/worker';
import { prepareStore } from '../activities';
import { openStore } from '../activities/store';
import { loadConfig } from '../platform/config';
import { installRuntime } from '../platform/runtime';
import { createWorker } from './worker';

async function main(): Promise<number> {
  let config;
  try {
    installRuntime('ERROR');
    config = loadConfig();
    if (!config.temporal.address) throw new Error('TEMPORAL_ADDRESS must be set: a worker process connects to a running server');
  } catch (err) {
    console.error(`worker: ${(err as Error).message}`);
    return 2;
  }
  const { address, namespace, connectionOptions } = config.temporal;
  const connection = await NativeConnection.connect({ address, ...connectionOptions });
  const store = openStore(config.storeUrl);
  try {
    await prepareStore(store);
    const worker = await createWorker({ connection, namespace, taskQueue: config.taskQueue, store });
    await worker.run();
    return 0;
  } finally {
    await store.close().catch((err) => console.error('worker: closing the effect store failed:', err));
    await connection.close().catch((err) => console.error('worker: closing the connection failed:', err));
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error('worker failed:', err);
      process.exit(1);
    },
  );
}
