/**
 * Crash recovery with exactly-once effects, with real processes: a worker process (workers/main.ts)
 * is killed with SIGKILL right after the payment committed and before it could reply; a second
 * worker process takes the run over and finishes it. The store must hold one payment, not two.
 * On the dev server (real time), on SQLite and, when configured, PostgreSQL.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { balances } from '../activities/bank';
import { seedFinance } from '../activities/finance-seed';
import { verifyStore } from '../activities/verify';
import { runRecordOf } from '../src/client/run-record';
import { trailOf } from '../src/client/trail';
import { freePort, startDevServer, type TemporalHandle } from '../src/platform/servers';
import { orderFulfillment } from '../workflows';
import { FAULT_PLAN_MEMO_KEY, type FaultPlan } from '../src/common/fault-plan';
import { OrderStep } from '../contracts/finance-steps';
import { PROJECT_ROOT } from '../src/platform/config';
import { workflowStartOptions } from '../src/common/failover';
import { historyEvents, keyOf, uniqueId, waitUntil } from './helpers';
import { storeBackends, type TempStore } from './stores';
import { WorkerProcess } from 'steadfast/testing';
import { spawnReferenceWorker } from './crash-harness';

for (const backend of storeBackends) {
  describe(`killing a worker process right after an effect commits (${backend.name})`, function () {
    this.timeout(180_000);
    let temporal: TemporalHandle;
    let temp: TempStore;

    before(async function () {
      backend.require(this);
      temporal = await startDevServer();
      temp = await backend.open();
    });
    after(async function () {
      await WorkerProcess.killAll();
      await temp?.cleanup();
      await temporal?.close().catch((err) => console.error('server teardown failed:', err));
    });

    it('leaves exactly one payment once the run has recovered on a second worker', async function () {
      const { store } = temp;
      const f = await seedFinance(store);
      const taskQueue = uniqueId('kill-tq');
      const workerOptions = (identity: string) => ({
        temporal,
        taskQueue,
        storeUrl: temp.url,
        identity,
        env: { STEADFAST_LOG_LEVEL: 'ERROR' },
      });
      const first = spawnReferenceWorker(workerOptions(uniqueId('first-worker')));
      await first.ready;

      // The first attempt commits the charge, then never replies: the moment to kill the worker.
      const faults: FaultPlan = { chargePayment: { kind: 'hang-after-effect', times: 1 } };
      const workflowId = uniqueId('order-2002');
      const handle = await temporal.client.workflow.start(orderFulfillment, {
        taskQueue,
        workflowId,
        args: [
          {
            orderId: 'order-2002',
            customerEmail: 'bob@example.com',
            paymentAccount: f.accounts.bob,
            merchantAccount: f.accounts.merchant,
            items: [{ sku: f.skus.gadget, quantity: 2 }],
            shippingAddress: '2 Harbour Road, Shelbyville',
          },
        ],
        memo: { [FAULT_PLAN_MEMO_KEY]: faults },
        ...workflowStartOptions(),
      });
      const chargeKey = await keyOf(handle, OrderStep.chargePayment);
      await waitUntil(() => store.get('SELECT id FROM bank_ledger WHERE key = ?', [chargeKey]), {
        timeoutMs: 60_000,
        what: 'the charge to commit',
      });
      // The kill lands mid-attempt: the server still has attempt 1 running on the first worker.
      const running = await waitUntil(
        async () =>
          (await handle.describe()).raw.pendingActivities?.find(
            (a) => a.activityType?.name === 'chargePayment' && a.lastWorkerIdentity === first.identity,
          ),
        { what: 'the charge running on the first worker' },
      );
      assert.deepEqual([running.attempt, running.lastStartedTime !== null && running.lastStartedTime !== undefined], [1, true]);
      first.kill('SIGKILL');
      assert.equal((await first.exited).signal, 'SIGKILL');

      const second = spawnReferenceWorker(workerOptions(uniqueId('second-worker')));
      await second.ready;
      const started = Date.now();
      const result = await handle.result();
      console.log(`      (recovered on the second worker ${Date.now() - started} ms after it was ready)`);

      const legs = await store.all<{ account_id: string; amount: number | string }>(
        'SELECT account_id, amount FROM bank_ledger WHERE key = ? ORDER BY amount',
        [chargeKey],
      );
      assert.deepEqual(
        legs.map((l) => [l.account_id, Number(l.amount)]),
        [
          [f.accounts.bob, -result.amount],
          [f.accounts.merchant, result.amount],
        ],
        'one charge: two legs, once',
      );
      assert.equal((await balances(store))[f.accounts.bob], 50_000 - 2 * 4_999);
      const charge = (await trailOf(handle)).find((s) => s.name === 'chargePayment');
      assert.deepEqual([charge?.outcome, charge?.attempts], ['completed', 2], 'the second attempt got the recorded result');
      // The retry ran on the survivor: the history's last attempt of the charge names the second
      // worker, and what it retried after was a timeout (the first attempt never replied), not a
      // failure the first worker reported before it died.
      const events = await historyEvents(handle);
      const chargeScheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'chargePayment');
      assert.ok(chargeScheduled, 'the charge was scheduled');
      const chargeStarted = events.find(
        (e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(chargeScheduled.eventId),
      )?.activityTaskStartedEventAttributes;
      assert.ok(chargeStarted, 'the charge started');
      assert.deepEqual([chargeStarted.attempt, chargeStarted.identity], [2, second.identity], 'attempt 2 ran on the second worker');
      assert.ok(chargeStarted.lastFailure?.timeoutFailureInfo, `attempt 1 timed out: ${JSON.stringify(chargeStarted.lastFailure)}`);
      const report = await verifyStore(store, { runs: [await runRecordOf(handle)] });
      assert.deepEqual(report.violations, []);

      // The second worker shuts down gracefully on SIGTERM.
      second.kill('SIGTERM');
      assert.equal((await second.exited).code, 0, 'graceful shutdown exits 0');
    });
  });
}

describe('the worker process (workers/main.ts)', function () {
  it('exits 1 and names the address it tried when the server is unreachable', async function () {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'workers/main.ts')], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, TEMPORAL_ADDRESS: `127.0.0.1:${port}`, STEADFAST_STORE: 'sqlite::memory:' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 1);
    assert.match(stderr, new RegExp(`cannot reach the Temporal server at 127\\.0\\.0\\.1:${port}`));
  });

  it('exits 2 and names STEADFAST_STORE when the store URL is unusable', async function () {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'workers/main.ts')], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:7233', STEADFAST_STORE: 'mysql://nope' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 2);
    assert.match(stderr, /STEADFAST_STORE must be/);
  });
});
