/**
 * docs/INTEROP.md, tested: clients that know nothing of Steadfast's TypeScript (the `temporal` CLI
 * and a Python `temporalio` client) start, signal, query and update each workflow type, with and
 * without a fault plan, and find runs with visibility queries over Steadfast's search attributes.
 * The runs execute on a real Steadfast worker; the test checks results, compensations (balances
 * back where they were) and search attributes.
 *
 * The Python client needs `npm run setup:interop` (a virtual environment under .steadfast/). Without
 * it the Python part is skipped with a message, unless STEADFAST_REQUIRE_INTEROP=1 (CI), which makes
 * its absence a failure.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Worker } from '@temporalio/worker';
import { balances } from '../activities/bank';
import { seedFinance, type FinanceFixture } from '../activities/finance-seed';
import type { EffectStore } from '../src/activity/store';
import { resolveServer } from '../src/platform/provision';
import { startDevServer, type TemporalHandle } from '../src/platform/servers';
import { SteadfastCompensated, SteadfastFaults } from 'steadfast/workflow';
import { referenceWorker } from './reference-worker';
import { tempSqliteStore, uniqueId } from './helpers';

const run = promisify(execFile);
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PYTHON = path.resolve(__dirname, '..', '.steadfast', 'python', 'bin', 'python');

describe('interop: the temporal CLI and a Python client drive Steadfast types (docs/INTEROP.md)', function () {
  this.timeout(300_000);
  let temporal: TemporalHandle;
  let store: EffectStore;
  let cleanupStore: () => Promise<void>;
  let fixture: FinanceFixture;
  let worker: Worker;
  let workerRun: Promise<void>;
  const taskQueue = uniqueId('interop-tq');
  const tag = uniqueId('i').slice(2);

  before(async function () {
    temporal = await startDevServer();
    ({ store, cleanup: cleanupStore } = await tempSqliteStore());
    fixture = await seedFinance(store, tag);
    worker = await referenceWorker({ connection: temporal.nativeConnection, namespace: temporal.namespace, taskQueue, store });
    workerRun = worker.run();
  });

  after(async function () {
    worker?.shutdown();
    await workerRun?.catch((err) => console.error('worker failed:', err));
    await cleanupStore?.();
    await temporal?.close().catch((err) => console.error('server teardown failed:', err));
  });

  describe('the temporal CLI', function () {
    const temporalCli = async (...args: string[]): Promise<Json> => {
      const { executable } = resolveServer('cli');
      assert.equal(executable.type, 'existing-path', 'run "npm run setup:temporal" first');
      const { stdout } = await run(
        (executable as { path: string }).path,
        [...args, '--address', temporal.address, '--namespace', temporal.namespace, '--output', 'json'],
        { maxBuffer: 16 << 20 },
      );
      return JSON.parse(stdout) as Json;
    };
    const start = (type: string, id: string, input: unknown, memo?: unknown) =>
      temporalCli(
        'workflow', 'start', '--type', type, '--task-queue', taskQueue, '--workflow-id', id,
        // The temporal CLI always sends a task timeout (10 s unless told): pass Steadfast's.
        '--task-timeout', '5s',
        '--input', JSON.stringify(input),
        ...(memo ? ['--memo', `steadfast.faults=${JSON.stringify(memo)}`] : []),
      );
    const result = (id: string) => temporalCli('workflow', 'result', '--workflow-id', id);

    it('carePathway: start, update, query, signal, result', async function () {
      const id = uniqueId('tcli-care');
      await start('carePathway', id, { patientId: `tcli-${tag}`, ward: 'icu', followUpAfter: '1 second', signOffWithin: '1 hour' });
      const note = await temporalCli('workflow', 'update', 'execute', '--workflow-id', id, '--name', 'addNote', '--input', '{"author": "dr-ada", "text": "stable"}');
      assert.equal(note.result, 1);
      await temporalCli('workflow', 'signal', '--workflow-id', id, '--name', 'signOff', '--input', '{"clinician": "dr-who"}').catch(
        // `signal` prints nothing with --output json on some versions; its exit status is what counts.
        (err: Error) => assert.match(err.message, /Unexpected end of JSON input/),
      );
      const state = await temporalCli('workflow', 'query', '--workflow-id', id, '--name', 'state');
      assert.equal(state.queryResult[0].patientId, `tcli-${tag}`);
      const done = await result(id);
      assert.equal(done.status, 'COMPLETED', JSON.stringify(done));
      assert.equal(done.result.signedOffBy, 'dr-who');
    });

    it('moneyTransfer with a fault plan: compensated, balances unchanged, found by SteadfastCompensated', async function () {
      const before = await balances(store);
      const id = uniqueId('tcli-transfer');
      await start('moneyTransfer', id, { transferId: id, fromAccount: fixture.accounts.alice, toAccount: fixture.accounts.bob, amount: 500 }, {
        deposit: { kind: 'permanent' },
      });
      const done = await result(id).catch((err: { stdout?: string }) => JSON.parse(err.stdout ?? '{}') as Json);
      assert.equal(done.status, 'FAILED', JSON.stringify(done));
      assert.deepEqual(await balances(store), before, 'the withdrawal was reversed');
      const listed = await temporalCli('workflow', 'list', '--query', `${SteadfastCompensated.name} = true AND WorkflowId = '${id}'`);
      assert.deepEqual((listed as unknown as Json[]).map((w) => w.execution.workflowId), [id]);
    });

    it('orderFulfillment and productionBatch complete', async function () {
      const order = uniqueId('tcli-order');
      await start('orderFulfillment', order, {
        orderId: order,
        customerEmail: 'alice@example.com',
        paymentAccount: fixture.accounts.alice,
        merchantAccount: fixture.accounts.merchant,
        items: [{ sku: fixture.skus.widget, quantity: 1 }],
        shippingAddress: '1 Market Street',
      });
      assert.equal((await result(order)).status, 'COMPLETED');
      const line = uniqueId('tcli-line');
      await start('productionBatch', line, { lineId: line, product: 'gearbox', batches: 1, unitsPerBatch: 2, stages: ['machining'], unitMs: 1 });
      assert.equal((await result(line)).status, 'COMPLETED');
    });
  });

  describe('a Python temporalio client', function () {
    before(function () {
      if (fs.existsSync(PYTHON)) return;
      if (process.env.STEADFAST_REQUIRE_INTEROP === '1') assert.fail(`no Python client at ${PYTHON}: run "npm run setup:interop"`);
      console.warn(`  (skipped: no Python client at ${PYTHON}; run "npm run setup:interop")`);
      this.skip();
    });

    it('every type, with and without fault plans; visibility over Steadfast search attributes', async function () {
      const before = await balances(store);
      const fixtureFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-interop-')), 'fixture.json');
      fs.writeFileSync(fixtureFile, JSON.stringify(fixture));
      const { stdout } = await run(
        PYTHON,
        [path.join(__dirname, 'interop', 'client.py'), temporal.address, temporal.namespace, taskQueue, tag, fixtureFile],
        { maxBuffer: 16 << 20 },
      );
      const seen = JSON.parse(stdout) as Json;

      assert.equal(seen.carePathway.status, 'COMPLETED', JSON.stringify(seen.carePathway));
      assert.equal(seen.carePathway.result.signedOffBy, 'dr-who');
      assert.equal(seen.carePathway.notes, 1);
      assert.match(seen.carePathway.rejectedUpdate, /urgent/);
      assert.equal(seen.carePathwayWithFaults.status, 'COMPLETED');
      assert.equal(seen.moneyTransfer.status, 'COMPLETED');
      assert.equal(seen.moneyTransfer.result.amount, 1234);
      assert.equal(seen.moneyTransferWithFaults.status, 'FAILED');
      assert.equal(seen.moneyTransferWithFaults.type, 'SimulatedPermanentFault');
      assert.equal(seen.moneyTransferBadInput.type, 'InvalidRequest');
      assert.match(seen.moneyTransferBadInput.message, /currency/);
      assert.equal(seen.moneyTransferBadPlan.type, 'InvalidFaultPlan');
      assert.equal(seen.orderFulfillmentWithFaults.status, 'COMPLETED');
      assert.equal(seen.productionBatch.status, 'COMPLETED');
      assert.deepEqual(seen.visibility.compensated, [seen.moneyTransferWithFaults.workflowId]);
      assert.deepEqual(seen.visibility.faulted, [seen.carePathwayWithFaults.workflowId]);

      // Only the completed transfer and the order moved money; the compensated transfer left nothing.
      const after = await balances(store);
      const { alice, bob } = fixture.accounts;
      assert.equal(after[bob]! - before[bob]!, 1234);
      assert.ok(after[alice]! - before[alice]! < -1234, 'alice paid the transfer and the order');

      const faulted = await temporal.client.workflow.getHandle(seen.carePathwayWithFaults.workflowId).describe();
      assert.ok((faulted.typedSearchAttributes.get(SteadfastFaults) ?? 0) > 0);
    });
  });
});
