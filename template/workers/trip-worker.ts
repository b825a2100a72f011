/** The project's worker: its workflows and activities, with Steadfast's interceptors and failover settings. */
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { EffectStore } from 'steadfast/activity';
import { createWorker } from 'steadfast/worker';
import { createActivities, prepareStore } from '../activities';

/** Where a trip worker runs and what it writes to. */
export interface TripWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  store: EffectStore;
  /** Honour fault plans in a run's memo (tests only; default: `STEADFAST_FAULT_INJECTION=1`). */
  faultInjection?: boolean;
}

/** Prepares the store's tables and creates (but does not run) a worker. */
export async function createTripWorker(opts: TripWorkerOptions): Promise<Worker> {
  await prepareStore(opts.store);
  return createWorker({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowsPath: require.resolve('../workflows'),
    activities: createActivities(opts.store),
    faultInjection: opts.faultInjection,
  });
}
