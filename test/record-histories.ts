/**
 * `npm run record:histories [-- name…]`: runs the recorded scenarios (all, or those named) on the
 * time-skipping server and writes each history to `test/histories/<name>.json`, the format that
 * `temporal workflow show --output json` writes and the replay test reads.
 *
 * Re-record only when a workflow change is intended and is not meant to be replay-compatible with
 * runs in flight; otherwise guard the change with `patched()` and keep the old histories.
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { openStore } from '../activities/store';
import { prepareStore } from '../activities';
import { startTimeSkippingServer } from '../platform/servers';
import { createWorker } from '../workers/worker';
import { scenarios } from './scenarios';

export const HISTORIES_DIR = path.join(__dirname, 'histories');

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !scenarios.some((s) => s.name === w));
  if (unknown.length) {
    console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}`);
    process.exit(2);
  }
  const temporal = await startTimeSkippingServer();
  const store = openStore('sqlite::memory:');
  try {
    await prepareStore(store);
    for (const scenario of scenarios.filter((s) => !wanted.length || wanted.includes(s.name))) {
      const taskQueue = `record-${scenario.name}`;
      const worker = await createWorker({ connection: temporal.nativeConnection, namespace: temporal.namespace, taskQueue, store });
      const handle = await scenario.start(temporal, taskQueue, `recorded-${scenario.name}`, store);
      await worker.runUntil(async () => {
        await scenario.whileRunning?.(handle, store);
        await handle.result().catch(() => undefined);
      });
      const file = path.join(HISTORIES_DIR, `${scenario.name}.json`);
      fs.writeFileSync(file, JSON.stringify(JSON.parse(historyToJSON(await handle.fetchHistory())), null, 2) + '\n');
      console.log(`recorded ${file}`);
    }
  } finally {
    await store.close();
    await temporal.close();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
