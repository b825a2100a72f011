/**
 * Runs a worker until Ctrl-C (`npm run worker`), on the server that TEMPORAL_ADDRESS names (default
 * 127.0.0.1:7233, where `npx steadfast server` listens) and the task queue STEADFAST_TASK_QUEUE.
 */
import { NativeConnection } from '@temporalio/worker';
import { openStore } from 'steadfast/activity';
import { installRuntime, loadConfig } from 'steadfast/worker';
import { createTripWorker } from './trip-worker';

async function main(): Promise<void> {
  installRuntime('INFO');
  const config = loadConfig();
  const address = config.temporal.address ?? '127.0.0.1:7233';
  const connection = await NativeConnection.connect({ address, ...config.temporal.connectionOptions });
  const store = openStore(config.storeUrl);
  try {
    const worker = await createTripWorker({ connection, namespace: config.temporal.namespace, taskQueue: config.taskQueue, store });
    console.log(`worker polling "${config.taskQueue}" on ${address}; Ctrl-C stops it`);
    await worker.run();
  } finally {
    await store.close();
    await connection.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
