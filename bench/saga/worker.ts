/**
 * The saga benchmark's worker process (spawned by bench/saga.ts, so that its CPU is measured
 * apart from the client's). Configuration comes from the environment:
 *   TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE (default `default`), BENCH_TASK_QUEUE, BENCH_STORE (effect store URL)
 *   BENCH_WORKER_OPTIONS  JSON of extra worker options (cache size, concurrency, pollers, reuseV8Context)
 *   BENCH_BUNDLE          a pre-built workflow bundle file
 *   BENCH_PLAIN=1         a plain SDK worker (`Worker.create`, no Steadfast interceptors or settings)
 * Prints `bench-worker-ready` once it polls; SIGTERM shuts it down.
 */
import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { openStore } from 'steadfast/activity';
import { createWorker, installRuntime } from 'steadfast/worker';
import { SAGA_BENCH_DDL, createSagaBenchActivities } from './activities';

async function main(): Promise<void> {
  installRuntime('ERROR');
  const store = openStore(process.env.BENCH_STORE ?? 'sqlite:.steadfast/bench-saga.db');
  await store.migrate(SAGA_BENCH_DDL);
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
  const overrides = JSON.parse(process.env.BENCH_WORKER_OPTIONS ?? '{}') as Partial<WorkerOptions>;
  const bundle = process.env.BENCH_BUNDLE ? { workflowBundle: { codePath: process.env.BENCH_BUNDLE } } : {};
  const taskQueue = process.env.BENCH_TASK_QUEUE ?? 'bench-saga';
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const activities = createSagaBenchActivities(store);
  const worker = process.env.BENCH_PLAIN === '1'
    ? await Worker.create({ connection, namespace, taskQueue, activities, ...overrides, ...bundle })
    : await createWorker({
    connection,
    namespace,
    taskQueue,
    workflowsPath: path.join(__dirname, 'workflows.ts'),
    activities,
    faultInjection: false,
    overrides: { ...overrides, ...bundle },
  });
  const running = worker.run();
  console.log('bench-worker-ready');
  await running;
  await store.close();
  await connection.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
