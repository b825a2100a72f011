/**
 * `steadfast store prune --older-than <age>`: removes the keys of closed runs, never a key of a run
 * that is still open (Temporal is asked), keeps keys without a run (seeding); verifyStore still
 * passes afterwards. Through the real CLI process, on a dev server, on both stores.
 */
import assert from 'node:assert/strict';
import type { Worker } from '@temporalio/worker';
import { seedFinance } from '../activities/finance-seed';
import { verifyStore } from '../activities/verify';
import { runRecordOf } from '../src/client/run-record';
import { startDevServer, type TemporalHandle } from '../src/platform/servers';
import { referenceWorker } from './reference-worker';
import { carePathway, moneyTransfer } from '../workflows';
import { parseJson, runCli } from './cli-process';
import { keysLike, uniqueId, waitUntil } from './helpers';
import { storeBackends, type TempStore } from './stores';

describe('steadfast store prune', function () {
  let temporal: TemporalHandle;
  before(async function () {
    temporal = await startDevServer();
  });
  after(async function () {
    await temporal?.close().catch((err) => console.error('server teardown failed:', err));
  });

  for (const backend of storeBackends) {
    describe(`on ${backend.name}`, function () {
      let temp: TempStore;
      let worker: Worker;
      let running: Promise<void>;
      const taskQueue = uniqueId('prune');

      before(async function () {
        backend.require(this);
        temp = await backend.open();
        worker = await referenceWorker({ connection: temporal.nativeConnection, namespace: temporal.namespace, taskQueue, store: temp.store });
        running = worker.run();
      });
      after(async function () {
        if (worker?.getState() === 'RUNNING') worker.shutdown();
        await running?.catch((err) => console.error('worker failed:', err));
        await temp?.cleanup();
      });

      const keysOf = async (workflowId: string) =>
        (await temp.store.all<{ key: string }>('SELECT key FROM steadfast_idempotency WHERE key LIKE ?', [keysLike(workflowId)])).length;
      const env = () => ({
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_NAMESPACE: temporal.namespace,
        STEADFAST_TASK_QUEUE: taskQueue,
        STEADFAST_STORE: temp.url,
      });

      it('removes the keys of a closed run and keeps those of an open one and of seeding', async function () {
        const f = await seedFinance(temp.store, uniqueId('prune'));
        const closed = await temporal.client.workflow.start(moneyTransfer, {
          taskQueue,
          workflowId: uniqueId('transfer'),
          args: [{ transferId: uniqueId('tx'), fromAccount: f.accounts.alice, toAccount: f.accounts.bob, amount: 700 }],
        });
        await closed.result();
        // Open: admitted, now waiting an hour for its follow-up.
        const open = await temporal.client.workflow.start(carePathway, {
          taskQueue,
          workflowId: uniqueId('care'),
          args: [{ patientId: uniqueId('patient'), ward: 'cardiology', followUpAfter: '1 hour' }],
        });
        // Admitted and the follow-up booked; the run then waits an hour for the appointment.
        await waitUntil(async () => (await keysOf(open.workflowId)) === 2, { what: 'the admission and follow-up keys' });
        assert.equal(await keysOf(closed.workflowId), 2, 'withdraw and deposit');
        const seedKeys = (await temp.store.all('SELECT key FROM steadfast_idempotency WHERE workflow_id IS NULL')).length;
        assert.ok(seedKeys > 0, 'seeding recorded keys without a run');

        // A key recorded now is not older than 1 ms by the time the CLI reads it; 1 ms keeps every key a candidate.
        await new Promise((r) => setTimeout(r, 5));
        const dry = await runCli(['store', 'prune', '--older-than', '1ms', '--dry-run', '--json'], env());
        assert.equal(dry.code, 0, dry.stderr);
        assert.equal(await keysOf(closed.workflowId), 2, 'a dry run removes nothing');

        const r = await runCli(['store', 'prune', '--older-than', '1ms', '--json'], env());
        assert.equal(r.code, 0, r.stderr);
        const report = parseJson<{ removed: number; keptOpen: number; keptUnowned: number }>(r);
        assert.ok(report.removed >= 2, JSON.stringify(report));
        assert.equal(await keysOf(closed.workflowId), 0, 'the closed run’s keys are gone');
        assert.equal(await keysOf(open.workflowId), 2, 'the open run keeps its keys');
        assert.equal((await temp.store.all('SELECT key FROM steadfast_idempotency WHERE workflow_id IS NULL')).length, seedKeys, 'seeding keeps its keys');
        // The closed run's effects outlive their keys on purpose; verifyStore knows the cutoff.
        const report2 = await verifyStore(temp.store, { runs: [await runRecordOf(closed)] });
        assert.deepEqual(report2.violations, []);
        await open.terminate('test over');
      });

      it('a bad age is a usage error that names the option', async function () {
        const r = await runCli(['store', 'prune', '--older-than', 'soon'], env());
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, /--older-than/);
      });
    });
  }
});
