/**
 * One trace follows a compensated order across two worker processes on one task queue, and the
 * workflow's log lines name the workflow, the run and the saga step.
 *
 * How both processes serve the run, deterministically: worker A alone polls while the order
 * reserves stock and charges the card; a crash point holds A while it completes the workflow task
 * that schedules createShipment; worker B starts and A is SIGKILLed. The held task times out and
 * B runs the rest: createShipment (a transient fault, then a permanent one: two attempts) and the
 * three compensations. The run is started by a client with `clientTracingInterceptors`, so its
 * start span is the root. Every process appends to one JSON Lines file.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { seedFinance, sampleOrder } from '../activities/finance-seed';
import { startDevServer, type TemporalHandle } from '../src/platform/servers';
import { arm } from '../src/worker/crash-points';
import { WorkerProcess, writeCrashPointBundle } from '../src/testing/worker-process';
import { readSpanFile, tracesOfWorkflow, processOf, type RunTrace, type SpanNode } from '../src/tracing/span-tree';
import type { SpanRecord } from '../src/tracing/jsonl-exporter';
import type { FaultPlan } from '../src/common/fault-plan';
import { main } from '../src/cli/cli';
import { workflowStartOptions } from '../src/common/failover';
import { FAULT_PLAN_MEMO_KEY } from '../src/common/fault-plan';
import { clientTracingInterceptors, startTracing } from '../src/tracing/tracing';
import { orderFulfillment } from '../workflows';
import { runCli } from './cli-process';
import { REFERENCE_WORKFLOWS } from './reference-worker';
import { tempSqliteStore, uniqueId, waitUntil } from './helpers';

const FORWARD = ['reserveInventory', 'chargePayment', 'createShipment'];
const COMPENSATIONS = ['cancelShipment', 'refundPayment', 'releaseInventory'];

function child(node: SpanNode, name: string): SpanNode[] {
  return node.children.filter((c) => c.span.name === name);
}

describe('tracing a compensated order across two worker processes', function () {
  this.timeout(120_000);
  let temporal: TemporalHandle;
  let temp: Awaited<ReturnType<typeof tempSqliteStore>>;
  let scratch: string;
  let traceFile: string;
  let workerB: WorkerProcess | undefined;
  let workerA: WorkerProcess | undefined;
  let workflowId: string;
  let trace: RunTrace;
  const logFileB = () => path.join(scratch, 'worker-b.log');

  before(async function () {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-trace-'));
    traceFile = path.join(scratch, 'spans.jsonl');
    // Bundling (the slowest part) while the server starts; both worker processes load the bundle.
    let bundlePath: string;
    [temporal, temp, bundlePath] = await Promise.all([
      startDevServer(),
      tempSqliteStore(),
      writeCrashPointBundle(REFERENCE_WORKFLOWS, scratch, { tracing: true }),
    ]);
    const crashDir = path.join(scratch, 'crash-points');
    fs.mkdirSync(crashDir);
    const taskQueue = uniqueId('trace-tq');
    workflowId = uniqueId('order-trace');
    const env = { STEADFAST_TRACE: '1', STEADFAST_TRACE_FILE: traceFile, STEADFAST_LOG_LEVEL: 'INFO', STEADFAST_LOG_FORMAT: 'json' };
    const worker = (identity: string, logFile: string) =>
      WorkerProcess.start({ temporal, taskQueue, storeUrl: `sqlite:${temp.file}`, identity, crashPointsDir: crashDir, bundlePath, logFile, env });

    workerA = worker('worker-a', path.join(scratch, 'worker-a.log'));
    await workerA.ready;
    arm(crashDir, 'workflow-task', 'createShipment', workflowId);
    const f = await seedFinance(temp.store, workflowId);
    const faults: FaultPlan = { createShipment: [{ kind: 'transient', times: 1 }, { kind: 'permanent' }] };
    const tracing = startTracing({ file: traceFile, serviceName: 'order-client', identity: 'test-client' });
    const client = new Client({ connection: temporal.client.connection, namespace: temporal.namespace, interceptors: clientTracingInterceptors(tracing) });
    await client.workflow.start(orderFulfillment, {
      taskQueue,
      workflowId,
      args: [sampleOrder(f, workflowId)],
      memo: { [FAULT_PLAN_MEMO_KEY]: faults },
      ...workflowStartOptions(),
    });
    await tracing.shutdown();

    await workerA.waitForMarker((m) => m.point === 'workflow-task' && m.activityType === 'createShipment' && m.held, 60_000);
    workerB = worker('worker-b', logFileB());
    await workerB.ready;
    workerA.kill('SIGKILL');
    assert.equal((await workerA.exited).signal, 'SIGKILL');

    const handle = temporal.client.workflow.getHandle(workflowId);
    await assert.rejects(handle.result(), WorkflowFailedError);
    // B writes the workflow's span before it completes the last workflow task; poll all the same.
    trace = await waitUntil(
      () => {
        const traces = fs.existsSync(traceFile) ? tracesOfWorkflow(readSpanFile(traceFile).spans, workflowId) : [];
        const found = traces.find((t) => t.roots.some((r) => r.children.some((c) => c.span.name === 'RunWorkflow:orderFulfillment')));
        return found && found.spanCount >= 1 + 1 + 6 + 7 ? found : undefined;
      },
      { timeoutMs: 30_000, what: `the spans of ${workflowId} in ${traceFile}` },
    );
  });

  after(async function () {
    await WorkerProcess.killAll();
    await temp?.cleanup();
    await temporal?.close().catch((err) => console.error('server teardown failed:', err));
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('nests the run under the client start span: workflow, then each activity, compensations in reverse order', function () {
    assert.equal(trace.roots.length, 1, `one root, got ${trace.roots.map((r) => r.span.name).join(', ')}`);
    const [root] = trace.roots;
    assert.equal(root.span.name, 'StartWorkflow:orderFulfillment');
    assert.equal(root.span.parentSpanId, undefined);
    assert.equal(processOf(root.span), 'test-client');
    assert.equal(root.span.resource['service.name'], 'order-client');
    assert.deepEqual(root.children.map((c) => c.span.name), ['RunWorkflow:orderFulfillment']);
    const [run] = root.children;
    assert.equal(run.span.status.code, 'ERROR');

    const scheduled = run.children.map((c) => c.span.name);
    assert.deepEqual(scheduled, [...FORWARD, ...COMPENSATIONS].map((a) => `StartActivity:${a}`));
    const steps = run.children.map((c) => [c.span.attributes['steadfast.step'], Boolean(c.span.attributes['steadfast.compensation'])]);
    assert.deepEqual(steps, [
      ['reserve inventory', false],
      ['charge payment', false],
      ['create shipment', false],
      ['create shipment', true],
      ['charge payment', true],
      ['reserve inventory', true],
    ]);
    for (const start of run.children) {
      const activity = start.span.name.slice('StartActivity:'.length);
      const attempts = child(start, `RunActivity:${activity}`);
      assert.equal(attempts.length, activity === 'createShipment' ? 2 : 1, `attempts of ${activity}`);
      assert.equal(start.children.length, attempts.length, `only attempts under ${start.span.name}`);
    }
    // The retry: attempt 1 failed with the transient fault, attempt 2 with the permanent one.
    const shipments = child(run.children[2], 'RunActivity:createShipment').map((n) => n.span);
    assert.deepEqual(
      shipments.map((s: SpanRecord) => [s.attributes['steadfast.attempt'], s.status.code]),
      [
        [1, 'ERROR'],
        [2, 'ERROR'],
      ],
    );
  });

  it('records spans from both worker processes, each under the process that served it', function () {
    const attemptsBy = (name: string) => {
      const start = trace.roots[0].children[0].children.find((c) => c.span.name === `StartActivity:${name}`);
      assert.ok(start, `StartActivity:${name}`);
      return [...new Set(start.children.map((c) => processOf(c.span)))];
    };
    assert.deepEqual(attemptsBy('reserveInventory'), ['worker-a']);
    assert.deepEqual(attemptsBy('chargePayment'), ['worker-a']);
    for (const name of ['createShipment', ...COMPENSATIONS]) assert.deepEqual(attemptsBy(name), [workerB!.identity], name);
    assert.equal(processOf(trace.roots[0].children[0].span), workerB!.identity, 'the workflow span comes from the worker that ended the run');
    assert.ok(trace.processes.includes('worker-a') && trace.processes.includes('worker-b'), trace.processes.join(', '));
    assert.equal(fs.statSync(traceFile).mode & 0o777, 0o600, 'the span file is private');
  });

  it('prints the tree with `steadfast trace`, and fails naming the file or the id when there is nothing', async function () {
    // The real executable once (the file from STEADFAST_TRACE_FILE); the other cases in process.
    const text = await runCli(['trace', workflowId], { STEADFAST_TRACE_FILE: traceFile, STEADFAST_LOG_LEVEL: 'ERROR' });
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.split('\n');
    assert.match(lines[1], /^StartWorkflow:orderFulfillment {2}OK {2}/);
    assert.match(lines[2], /^└─ RunWorkflow:orderFulfillment {2}ERROR: .* worker-b$/);
    assert.ok(lines.some((l) => /^ {3}[├└]─ StartActivity:cancelShipment \[undoes create shipment\]/.test(l)), text.stdout);
    assert.ok(lines.some((l) => /RunActivity:createShipment \[attempt 2\] {2}ERROR/.test(l)), text.stdout);

    const inProcess = async (...args: string[]) => {
      const io = { stdout: '', stderr: '' };
      const code = await main(['node', 'steadfast', 'trace', ...args], { out: (t) => (io.stdout += t), err: (t) => (io.stderr += t) });
      return { code, ...io };
    };
    const json = await inProcess(workflowId, '--file', traceFile, '--json');
    assert.equal(json.code, 0, json.stderr);
    const doc = JSON.parse(json.stdout) as { traces: { spanCount: number; processes: string[]; roots: { name: string; children: unknown[] }[] }[] };
    assert.equal(doc.traces.length, 1);
    assert.equal(doc.traces[0].roots[0].name, 'StartWorkflow:orderFulfillment');
    assert.equal(doc.traces[0].spanCount, trace.spanCount);

    const unknown = await inProcess('no-such-order', '--file', traceFile, '--json');
    assert.equal(unknown.code, 1);
    const error = (JSON.parse(unknown.stdout) as { error: { code: string; field: string; message: string } }).error;
    assert.deepEqual([error.code, error.field], ['no-spans', '<workflowId>']);
    assert.ok(error.message.includes(traceFile), error.message);

    const missing = path.join(scratch, 'nothing.jsonl');
    const noFile = await inProcess(workflowId, '--file', missing);
    assert.equal(noFile.code, 1);
    assert.ok(noFile.stderr.startsWith(`error: cannot read the span file ${missing} (--file): ENOENT`), noFile.stderr);
  });

  it("logs the workflow's lines through the replay-safe logger with the workflow id, run id and step", async function () {
    const { runId } = await temporal.client.workflow.getHandle(workflowId).describe();
    const lines = fs
      .readFileSync(logFileB(), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const saga = lines.filter((l) => l.sdkComponent === 'workflow' && typeof l.message === 'string' && l.message.startsWith('saga: '));
    assert.ok(saga.length >= 4, `saga lines in worker B's log:\n${saga.map((l) => JSON.stringify(l)).join('\n')}`);
    for (const line of saga) {
      assert.equal(line.workflowId, workflowId);
      assert.equal(line.runId, runId);
      assert.equal(typeof line.step, 'string', JSON.stringify(line));
      assert.equal(line.trace_id, trace.traceId, 'the line names its trace');
    }
    const undone = saga.find((l) => l.message === 'saga: refundPayment undid step charge payment');
    assert.ok(undone, 'the refund is logged');
    assert.deepEqual([undone.step, undone.compensating, undone.level], ['charge payment', true, 'INFO']);
  });
});
