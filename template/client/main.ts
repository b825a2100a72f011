/**
 * `npm start`: books one trip. Uses the server that TEMPORAL_ADDRESS names, or else starts a dev
 * server of its own (installed by `npx steadfast setup`); runs a worker while the trip is booked, and
 * exits 0 when the run completed, 1 otherwise.
 */
import { randomUUID } from 'node:crypto';
import { causeChain, formatChain, loadConfig } from 'steadfast/client';
import { openStore } from 'steadfast/activity';
import { openTemporal } from 'steadfast/testing';
import { installRuntime } from 'steadfast/worker';
import { createTripWorker } from '../workers/trip-worker';
import { startBookTrip } from './book-trip';

async function main(): Promise<number> {
  installRuntime('WARN');
  const config = loadConfig();
  const temporal = await openTemporal({}, config);
  const store = openStore(config.storeUrl);
  try {
    console.log(`Temporal at ${temporal.address} (${temporal.embedded ? 'a dev server started for this run' : 'TEMPORAL_ADDRESS'})`);
    const worker = await createTripWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue: config.taskQueue,
      store,
    });
    return await worker.runUntil(async () => {
      const input = { tripId: randomUUID(), flight: 'LH123', hotel: 'Hotel Adlon', amount: 45_000 };
      const handle = await startBookTrip(temporal.client, input, { taskQueue: config.taskQueue });
      console.log(`started ${handle.workflowId}`);
      try {
        const result = await handle.result();
        console.log('trip booked:', JSON.stringify(result));
        return 0;
      } catch (err) {
        console.error(`trip not booked:\n${formatChain(causeChain(err))}`);
        return 1;
      }
    });
  } finally {
    await store.close();
    await temporal.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
