/**
 * Crash recovery with exactly-once effects, with real processes: a worker process (workers/main.ts)
 * is killed with SIGKILL right after the payment committed and before it could reply; a second
 * worker process takes the run over and finishes it. The store must hold one payment, not two.
 * On the dev server (real time), on SQLite and, when configured, PostgreSQL.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import readline from 'node:readline';
import { balances } from '../activities/bank';
import { seedFinance } from '../activities/finance-seed';
import { verifyStore } from '../activities/verify';
import { runRecordOf } from '../client/run-record';
import { trailOf } from '../client/trail';
import { startDevServer, type TemporalHandle } from '../platform/servers';
import { orderFulfillment } from '../workflows';
import { FAULT_PLAN_MEMO_KEY, type FaultPlan } from '../workflows/fault-plan';
import { OrderStep } from '../workflows/finance-steps';
import { PROJECT_ROOT } from '../platform/config';
import { uniqueId, waitUntil } from './helpers';
import { storeBackends, type TempStore } from './stores';

/** A worker child process and a promise for its `worker ready` line. */
function spawnWorker(env: NodeJS.ProcessEnv): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'workers/main.ts')], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<void>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('worker ready')) resolve();
    });
    child.once('exit', (code, signal) => reject(new Error(`the worker exited before it was ready (code ${code}, signal ${signal})`)));
  });
  ready.catch(() => undefined);
  return { child, ready };
}

function stop(child: ChildProcess | undefined): void {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

for (const backend of storeBackends) {
  describe(`killing a worker process right after an effect commits (${backend.name})`, function () {
    this.timeout(180_000);
    let temporal: TemporalHandle;
    let temp: TempStore;
    const children: ChildProcess[] = [];

    before(async function () {
      backend.require(this);
      temporal = await startDevServer();
      temp = await backend.open();
    });
    after(async function () {
      children.forEach(stop);
      await temp?.cleanup();
      await temporal?.close().catch((err) => console.error('server teardown failed:', err));
    });

    it('leaves exactly one payment once the run has recovered on a second worker', async function () {
      const { store } = temp;
      const f = await seedFinance(store);
      const taskQueue = uniqueId('kill-tq');
      const env = {
        ...process.env,
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_NAMESPACE: temporal.namespace,
        STEADFAST_TASK_QUEUE: taskQueue,
        STEADFAST_STORE: temp.url,
        STEADFAST_LOG_LEVEL: 'ERROR',
      };
      const first = spawnWorker(env);
      children.push(first.child);
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
      });
      const chargeKey = `${workflowId}/${OrderStep.chargePayment}`;
      await waitUntil(() => store.get('SELECT id FROM bank_ledger WHERE key = ?', [chargeKey]), {
        timeoutMs: 60_000,
        what: 'the charge to commit',
      });
      first.child.kill('SIGKILL');
      const [, signal] = (await once(first.child, 'exit')) as [number | null, NodeJS.Signals | null];
      assert.equal(signal, 'SIGKILL');

      const second = spawnWorker(env);
      children.push(second.child);
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
      const report = await verifyStore(store, { runs: [await runRecordOf(handle)] });
      assert.deepEqual(report.violations, []);

      // The second worker shuts down gracefully on SIGTERM.
      second.child.kill('SIGTERM');
      const [code] = (await once(second.child, 'exit')) as [number | null];
      assert.equal(code, 0, 'graceful shutdown exits 0');
    });
  });
}

describe('the worker process (workers/main.ts)', function () {
  it('exits 2 and names TEMPORAL_ADDRESS when no server is configured', async function () {
    const env: NodeJS.ProcessEnv = { ...process.env, STEADFAST_STORE: 'sqlite::memory:' };
    delete env.TEMPORAL_ADDRESS;
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'workers/main.ts')], {
      cwd: PROJECT_ROOT,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 2);
    assert.match(stderr, /TEMPORAL_ADDRESS is not set/);
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
