/**
 * The `steadfast` CLI, run as a subprocess (bin/steadfast.js, as `npx steadfast` runs it) against
 * a real dev server started here, with real workers in this process: bad input and its exit
 * codes, the happy paths and their --json shapes, list and faults (visibility queries), history,
 * and reset after a bug fix.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { temporal as proto } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { balances } from '../activities/bank';
import { stockLevels } from '../activities/inventory';
import type { EffectStore } from '../src/activity/store';
import { workflowRegistry } from '../src/cli/workflow-registry';
import { freePort, startDevServer, type TemporalHandle } from '../src/platform/servers';
import { STEADFAST_FAILOVER, workflowStartOptions } from '../src/common/failover';
import { workflowBundle } from 'steadfast/worker';
import { REFERENCE_WORKFLOWS, referenceBundle, referenceWorker } from './reference-worker';
import { carePathway } from '../workflows';
import { BUG_TYPE } from './fixtures/buggy-workflows';
import { parseJson, runCli, type CliResult } from './cli-process';
import { historyEvents, keyOf, keyStep, keysLike, tempSqliteStore, uniqueId, waitUntil } from './helpers';

const { EventType } = proto.api.enums.v1;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('steadfast CLI', function () {
  let temporal: TemporalHandle;
  let store: EffectStore;
  let storeFile: string;
  let cleanupStore: () => Promise<void>;
  let worker: Worker;
  let workerRun: Promise<void>;
  const taskQueue = uniqueId('cli-tq');
  let env: Record<string, string | undefined>;

  before(async function () {
    temporal = await startDevServer();
    ({ store, file: storeFile, cleanup: cleanupStore } = await tempSqliteStore());
    worker = await referenceWorker({ connection: temporal.nativeConnection, namespace: temporal.namespace, taskQueue, store });
    workerRun = worker.run();
    env = {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      STEADFAST_TASK_QUEUE: taskQueue,
      STEADFAST_STORE: `sqlite:${storeFile}`,
    };
  });

  after(async function () {
    worker?.shutdown();
    await workerRun?.catch((err) => console.error('worker failed:', err));
    await cleanupStore?.();
    await temporal?.close().catch((err) => console.error('server teardown failed:', err));
  });

  const cli = (...args: string[]) => runCli(args, env);
  const cliJson = async (...args: string[]): Promise<CliResult & { json: Json }> => {
    const result = await cli(...args, '--json');
    return { ...result, json: parseJson<Json>(result) };
  };
  const input = (patientId: string, extra: Json = {}) =>
    JSON.stringify({ patientId, ward: 'cardiology', followUpAfter: '1 second', ...extra });
  const assertNoRun = (workflowId: string) =>
    assert.rejects(temporal.client.workflow.getHandle(workflowId).describe(), WorkflowNotFoundError);
  const careRows = (workflowId: string) =>
    store.all<{ key: string; kind: string; ref: string; created_at: string }>(
      'SELECT key, kind, ref, created_at FROM care_events WHERE key LIKE ? ORDER BY created_at',
      [keysLike(workflowId)],
    );

  describe('bad usage and input: exit 2, naming the field and what was expected', function () {
    it('a missing required argument or option', async function () {
      const status = await cli('status');
      assert.equal(status.code, 2, status.stderr);
      assert.match(status.stderr, /missing required argument 'id'/);

      const start = await cli('start', 'carePathway');
      assert.equal(start.code, 2);
      assert.match(start.stderr, /required option '--input <json\|@file>' not specified/);

      const signal = await cliJson('signal', 'some-id');
      assert.equal(signal.code, 2);
      assert.equal(signal.json.error.code, 'missingArgument');
      assert.match(signal.json.error.message, /missing required argument 'name'/);
    });

    it('an unknown workflow type, and no run is started', async function () {
      const workflowId = uniqueId('cli-unknown-type');
      const r = await cliJson('start', 'noSuchWorkflow', '--input', '{}', '--id', workflowId);
      assert.equal(r.code, 2);
      assert.equal(r.json.error.code, 'unknown-workflow-type');
      assert.equal(r.json.error.field, '<workflowType>');
      assert.match(r.json.error.message, /unknown workflow type "noSuchWorkflow"; expected one of: .*carePathway/);
      await assertNoRun(workflowId);
    });

    it('malformed JSON, inline or in an @file, and no run is started', async function () {
      const workflowId = uniqueId('cli-bad-json');
      const inline = await cli('start', 'carePathway', '--input', '{"patientId": "p-1",', '--id', workflowId);
      assert.equal(inline.code, 2);
      assert.match(inline.stderr, /--input is not valid JSON \(.+\); expected a JSON value/);

      const file = path.join(os.tmpdir(), `${uniqueId('bad-input')}.json`);
      fs.writeFileSync(file, "{ patientId: 'p-1' }");
      try {
        const fromFile = await cliJson('start', 'carePathway', '--input', `@${file}`, '--id', workflowId);
        assert.equal(fromFile.code, 2);
        assert.equal(fromFile.json.error.code, 'malformed-json');
        assert.equal(fromFile.json.error.field, '--input');
        assert.ok(fromFile.json.error.message.includes(file), fromFile.json.error.message);
      } finally {
        fs.rmSync(file, { force: true });
      }
      await assertNoRun(workflowId);
    });

    it('a schema violation names each offending field', async function () {
      const workflowId = uniqueId('cli-schema');
      const r = await cliJson(
        'start', 'carePathway', '--id', workflowId,
        '--input', JSON.stringify({ patientId: 'p-1', followUpAfter: 'soon', wrd: 'typo' }),
      );
      assert.equal(r.code, 2);
      assert.equal(r.json.error.code, 'schema-violation');
      const issues = new Map<string, string>(r.json.error.issues.map((i: Json) => [i.field, i.message]));
      assert.match(issues.get('--input.ward') ?? '', /expected string/);
      assert.match(issues.get('--input.followUpAfter') ?? '', /expected a positive duration such as "14 days"/);
      assert.match(issues.get('--input') ?? '', /Unrecognized key.*wrd/);

      const text = await cli('start', 'carePathway', '--input', '{"patientId": "", "ward": "x", "followUpAfter": 5}');
      assert.equal(text.code, 2);
      assert.match(text.stderr, /--input\.patientId: expected a non-empty string/);
      await assertNoRun(workflowId);
    });

    it('an unknown workflow id', async function () {
      const workflowId = uniqueId('cli-no-such-run');
      for (const args of [
        ['status', workflowId],
        ['result', workflowId],
        ['signal', workflowId, 'signOff', '--arg', '{"clinician": "dr-who"}'],
        ['cancel', workflowId],
        ['history', workflowId],
        ['reset', workflowId],
      ]) {
        const r = await cliJson(...args);
        assert.equal(r.code, 2, `${args[0]}: ${r.stdout}${r.stderr}`);
        assert.equal(r.json.error.code, 'unknown-workflow', args[0]);
        assert.equal(r.json.error.field, '<id>');
        assert.ok(r.json.error.message.includes(`"${workflowId}"`), r.json.error.message);
      }
    });

    it('an unreachable server: exit 1, naming the address it tried', async function () {
      const address = `127.0.0.1:${await freePort()}`;
      const json = await runCli(['status', 'any-id', '--json'], { ...env, TEMPORAL_ADDRESS: address });
      assert.equal(json.code, 1);
      const { error } = parseJson<Json>(json);
      assert.equal(error.code, 'server-unreachable');
      assert.equal(error.field, 'TEMPORAL_ADDRESS');
      assert.match(error.message, new RegExp(`cannot reach the Temporal server at ${address} \\(from TEMPORAL_ADDRESS`));

      const text = await runCli(['start', 'carePathway', '--input', input('p-1')], { ...env, TEMPORAL_ADDRESS: address });
      assert.equal(text.code, 1);
      assert.match(text.stderr, new RegExp(`${address}.*connection refused.*steadfast server`));

      const workerCmd = await runCli(['worker'], { ...env, TEMPORAL_ADDRESS: address });
      assert.equal(workerCmd.code, 1);
      assert.match(workerCmd.stderr, new RegExp(`cannot reach the Temporal server at ${address}`));
    });
  });

  describe('running, inspecting and finding faults', function () {
    const retriedId = uniqueId('care-cli-retried');
    const failedId = uniqueId('care-cli-failed');
    const cleanId = uniqueId('care-cli-clean');
    const cancelledId = uniqueId('care-cli-cancelled');

    it('start --wait runs to completion and prints the result; status and result agree (--json shapes)', async function () {
      const r = await cliJson(
        'start', 'carePathway', '--input', input('patient-cli-1'), '--id', retriedId, '--wait',
        '--fault-plan', '{"admitPatient": {"kind": "transient", "times": 2}}',
      );
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(Object.keys(r.json).sort(), ['namespace', 'result', 'runId', 'status', 'taskQueue', 'type', 'workflowId']);
      assert.equal(r.json.workflowId, retriedId);
      assert.equal(r.json.type, 'carePathway');
      assert.equal(r.json.taskQueue, taskQueue);
      assert.equal(r.json.status, 'COMPLETED');
      assert.equal(r.json.result.patientId, 'patient-cli-1');
      // Not a TTY: progress comes as plain lines on stderr, never on stdout.
      assert.match(r.stderr, /^… carePathway .*: waiting for the result$/m);
      assert.match(r.stderr, /^✔ carePathway .*: COMPLETED$/m);

      const status = await cliJson('status', retriedId);
      assert.equal(status.code, 0);
      assert.equal(status.json.status, 'COMPLETED');
      assert.equal(status.json.runId, r.json.runId);
      assert.deepEqual(status.json.faults, { count: 2, kinds: ['retried'], compensated: false });
      assert.deepEqual(
        status.json.trail.map((s: Json) => [s.kind, s.name, s.attempts ?? null, s.outcome]),
        [
          ['activity', 'admitPatient', 3, 'completed'],
          ['activity', 'scheduleFollowUp', 1, 'completed'],
          ['timer', '1s', null, 'fired'],
        ],
      );

      const result = await cliJson('result', retriedId);
      assert.equal(result.code, 0);
      assert.deepEqual(result.json.result, r.json.result);

      const rows = await careRows(retriedId);
      assert.deepEqual(rows.map((row) => [row.key, row.kind, row.ref]), [
        [await keyOf(temporal.client.workflow.getHandle(retriedId), 'admit'), 'admission', r.json.result.admissionId],
        [await keyOf(temporal.client.workflow.getHandle(retriedId), 'follow-up'), 'follow-up', r.json.result.appointmentId],
      ]);
    });

    it('start --wait and result exit 1 when the run fails, with its cause chain', async function () {
      const r = await cliJson(
        'start', 'carePathway', '--input', input('patient-cli-2'), '--id', failedId, '--wait',
        '--fault-plan', '{"scheduleFollowUp": {"kind": "permanent"}}',
      );
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.json.status, 'FAILED');
      assert.deepEqual(
        r.json.failure.map((l: Json) => [l.kind, l.type]),
        [
          ['ActivityFailure', 'scheduleFollowUp'],
          ['ApplicationFailure', 'SimulatedPermanentFault'],
        ],
      );
      const result = await cli('result', failedId);
      assert.equal(result.code, 1);
      assert.match(result.stdout, /ended FAILED:\n.*activity scheduleFollowUp failed.*⟵ \[simulated\] permanent fault.*\[SimulatedPermanentFault\]/);
    });

    it('signal, query and update a running run, each argument validated against the type', async function () {
      const workflowId = uniqueId('care-cli-signoff');
      const started = await cliJson('start', 'carePathway', '--input', input('patient-cli-3', { signOffWithin: '1 hour' }), '--id', workflowId);
      assert.equal(started.code, 0, started.stderr);
      assert.deepEqual(Object.keys(started.json).sort(), ['namespace', 'runId', 'taskQueue', 'type', 'workflowId']);

      await waitUntil(async () => (await cliJson('query', workflowId, 'state')).json.result?.stage === 'awaiting-sign-off', {
        what: 'the pathway to wait for its sign-off',
      });

      const note = await cliJson('update', workflowId, 'addNote', '--arg', '{"author": "nurse-kim", "text": "stable overnight"}');
      assert.equal(note.code, 0, note.stderr);
      assert.deepEqual(note.json, { workflowId, update: 'addNote', result: 1 });

      const emptyNote = await cliJson('update', workflowId, 'addNote', '--arg', '{"author": "nurse-kim", "text": " "}');
      assert.equal(emptyNote.code, 2);
      assert.equal(emptyNote.json.error.field, '--arg.text');

      const queryWithArg = await cliJson('query', workflowId, 'state', '--arg', '{}');
      assert.equal(queryWithArg.code, 2);
      assert.match(queryWithArg.json.error.message, /takes no argument/);

      const unknownSignal = await cliJson('signal', workflowId, 'approve', '--arg', '{}');
      assert.equal(unknownSignal.code, 2);
      assert.match(unknownSignal.json.error.message, /carePathway has no signal "approve"; expected one of: signOff/);

      const noArg = await cliJson('signal', workflowId, 'signOff');
      assert.equal(noArg.code, 2);
      assert.equal(noArg.json.error.field, '--arg');

      const signOff = await cliJson('signal', workflowId, 'signOff', '--arg', '{"clinician": "dr-ada"}');
      assert.equal(signOff.code, 0);
      assert.deepEqual(signOff.json, { workflowId, signal: 'signOff', args: [{ clinician: 'dr-ada' }] });

      const result = await cliJson('result', workflowId);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.json.result.signedOffBy, 'dr-ada');

      const state = await cliJson('query', workflowId, 'state');
      assert.equal(state.json.result.stage, 'done');
      assert.deepEqual(state.json.result.notes, [{ author: 'nurse-kim', text: 'stable overnight' }]);
    });

    it('cancel and terminate; result --no-wait on a running run exits 1', async function () {
      const terminatedId = uniqueId('care-cli-terminated');
      for (const id of [cancelledId, terminatedId]) {
        const started = await cli('start', 'carePathway', '--input', input(id, { signOffWithin: '1 hour' }), '--id', id);
        assert.equal(started.code, 0, started.stderr);
      }
      const running = await cliJson('result', cancelledId, '--no-wait');
      assert.equal(running.code, 1);
      assert.equal(running.json.status, 'RUNNING');

      const cancel = await cliJson('cancel', cancelledId);
      assert.deepEqual([cancel.code, cancel.json], [0, { workflowId: cancelledId, cancelRequested: true }]);
      const cancelled = await cliJson('result', cancelledId);
      assert.equal(cancelled.code, 1);
      assert.equal(cancelled.json.status, 'CANCELLED');

      const terminate = await cliJson('terminate', terminatedId, '--reason', 'wrong patient');
      assert.equal(terminate.code, 0);
      assert.equal((await cliJson('status', terminatedId)).json.status, 'TERMINATED');
      const again = await cliJson('terminate', terminatedId);
      assert.equal(again.code, 1);
      assert.equal(again.json.error.code, 'not-running');
    });

    it('list filters by status and type with a visibility query', async function () {
      const completed = await waitUntil(
        async () => {
          const r = await cliJson('list', '--status', 'completed', '--type', 'carePathway');
          return r.json.runs?.some((run: Json) => run.workflowId === retriedId) && r;
        },
        { what: 'the completed run in the visibility index' },
      );
      assert.equal(completed.json.query, "(ExecutionStatus = 'Completed') AND WorkflowType = 'carePathway'");
      assert.ok(completed.json.runs.every((run: Json) => run.status === 'COMPLETED'));

      // The positive case first (both closed runs indexed), then the absence of the completed one.
      const failedOrCancelled = await waitUntil(
        async () => {
          const r = await cliJson('list', '--status', 'failed,cancelled');
          const listed: string[] = r.json.runs?.map((run: Json) => run.workflowId) ?? [];
          return listed.includes(failedId) && listed.includes(cancelledId) ? r : undefined;
        },
        { what: 'the failed and the cancelled run in the visibility index' },
      );
      const ids: string[] = failedOrCancelled.json.runs.map((run: Json) => run.workflowId);
      assert.ok(!ids.includes(retriedId));

      const badType = await cliJson('list', '--type', 'nope');
      assert.equal(badType.code, 2);
      assert.equal(badType.json.error.field, '--type');
    });

    it('faults finds the runs that failed, timed out or needed retries, with cause chains, and not clean ones', async function () {
      const clean = await cli('start', 'carePathway', '--input', input('patient-cli-4'), '--id', cleanId, '--wait');
      assert.equal(clean.code, 0, clean.stderr);
      const timedOutId = uniqueId('care-cli-timed-out');
      const timingOut = await temporal.client.workflow.start(carePathway, {
        taskQueue,
        workflowId: timedOutId,
        args: [{ patientId: 'patient-cli-7', ward: 'icu', followUpAfter: '1 second', signOffWithin: '1 hour' }],
        workflowExecutionTimeout: '2 seconds',
        ...workflowStartOptions(),
      });
      await assert.rejects(timingOut.result(), WorkflowFailedError);

      // The untroubled runs must be in the visibility index, closed, before their absence from
      // `faults` means anything.
      await waitUntil(
        async () => {
          const listed = await cliJson('list', '--status', 'completed,cancelled');
          const closed = new Map<string, string>(listed.json.runs?.map((run: Json) => [run.workflowId, run.status]) ?? []);
          return closed.get(cleanId) === 'COMPLETED' && closed.get(cancelledId) === 'CANCELLED';
        },
        { what: 'the clean and the cancelled run, closed, in the visibility index' },
      );
      const r = await waitUntil(
        async () => {
          const found = await cliJson('faults', '--since', '1h');
          const ids = found.json.runs?.map((run: Json) => run.workflowId) ?? [];
          return ids.includes(retriedId) && ids.includes(failedId) && ids.includes(timedOutId) && found;
        },
        { what: 'the troubled runs in the visibility index' },
      );
      assert.equal(r.code, 0);
      assert.match(
        r.json.query,
        /^\(ExecutionStatus = 'Failed' OR ExecutionStatus = 'TimedOut' OR SteadfastFaults > 0 OR SteadfastCompensated = true OR \(ExecutionStatus = 'Running' AND TemporalReportedProblems IS NOT NULL\)\) AND StartTime >= '/,
      );
      const byId = new Map<string, Json>(r.json.runs.map((run: Json) => [run.workflowId, run]));

      const retried = byId.get(retriedId)!;
      assert.equal(retried.status, 'COMPLETED');
      assert.deepEqual(retried.faults, { count: 2, kinds: ['retried'], compensated: false });
      assert.match(retried.causes[0], /^admitPatient: completed after 3 attempt\(s\); last failure: \[simulated\] transient fault/);

      const failed = byId.get(failedId)!;
      assert.equal(failed.status, 'FAILED');
      // The booking failed for good, so the saga cancelled the admission.
      assert.deepEqual(failed.faults.kinds, ['activity-failed', 'compensated']);
      assert.deepEqual(failed.failure.map((l: Json) => l.type), ['scheduleFollowUp', 'SimulatedPermanentFault']);
      assert.match(failed.causes[0], /activity scheduleFollowUp failed.*⟵ \[simulated\] permanent fault/);

      const timedOut = byId.get(timedOutId)!;
      assert.equal(timedOut.status, 'TIMED_OUT');
      assert.deepEqual(timedOut.causes, ['workflow execution timed out']);

      assert.ok(!byId.has(cleanId), `${cleanId} is not a fault`);
      // Cancelling a pathway cancels its admission: the saga marks the run compensated.
      assert.deepEqual(byId.get(cancelledId)?.faults, { count: 0, kinds: ['compensated'], compensated: true });

      const text = await cli('faults', '--since', '1h');
      assert.match(text.stdout, new RegExp(`FAILED +carePathway +${failedId}.*\n +activity scheduleFollowUp failed`));
    });

    it('history --out writes the format that the replay test reads', async function () {
      const file = path.join(os.tmpdir(), `${uniqueId('history')}.json`);
      try {
        const r = await cliJson('history', retriedId, '--out', file);
        assert.equal(r.code, 0, r.stderr);
        const history = JSON.parse(fs.readFileSync(file, 'utf8'));
        assert.equal(r.json.events, history.events.length);
        assert.equal(history.events[0].eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
        await Worker.runReplayHistory({ workflowBundle: await referenceBundle() }, history, retriedId);

        const stdout = await cliJson('history', retriedId);
        assert.deepEqual(stdout.json, history);
      } finally {
        fs.rmSync(file, { force: true });
      }
    });
  });

  describe('orderFulfillment, moneyTransfer and productionBatch', function () {
    const tag = uniqueId('cli').replace(/^cli-/, '');
    let accounts: Record<'alice' | 'bob' | 'carol' | 'merchant', string>;
    let skus: Record<'widget' | 'gadget', string>;
    const order = (orderId: string, extra: Json = {}) =>
      JSON.stringify({
        orderId,
        customerEmail: 'alice@example.com',
        paymentAccount: accounts.alice,
        merchantAccount: accounts.merchant,
        items: [{ sku: skus.widget, quantity: 2 }],
        shippingAddress: '1 Market Street, Springfield',
        ...extra,
      });
    const keysOf = (workflowId: string) =>
      store.all<{ key: string }>('SELECT key FROM steadfast_idempotency WHERE key LIKE ? ORDER BY key', [keysLike(workflowId)]);

    before(async function () {
      // The bank's accounts and the warehouse's stock, opened by the CLI in the store the worker uses.
      const seeded = await cliJson('seed', '--tag', tag);
      assert.equal(seeded.code, 0, seeded.stderr);
      accounts = Object.fromEntries(Object.entries(seeded.json.accounts).map(([k, v]) => [k, (v as Json).id])) as typeof accounts;
      skus = Object.fromEntries(Object.entries(seeded.json.skus).map(([k, v]) => [k, (v as Json).sku])) as typeof skus;
      assert.equal(accounts.alice, `acct-alice-${tag}`);
      assert.equal((await balances(store))[accounts.alice], 100_000);
    });

    it("every registered type's example input passes its schema", function () {
      assert.deepEqual([...workflowRegistry().keys()].sort(), ['carePathway', 'moneyTransfer', 'orderFulfillment', 'productionBatch']);
      for (const spec of workflowRegistry().values()) {
        const parsed = spec.input.safeParse(spec.example);
        assert.ok(parsed.success, `${spec.workflow.name}: ${JSON.stringify(parsed.error?.issues)}`);
      }
    });

    it('a schema violation of an order or a transfer: exit 2, each field named, no run, nothing in the store', async function () {
      const workflowId = uniqueId('order-cli-bad');
      const stockBefore = await stockLevels(store);
      const r = await cliJson(
        'start', 'orderFulfillment', '--id', workflowId,
        '--input', order('order-bad', { customerEmail: 'alice-at-example.com', items: [], shippingAddress: undefined, giftWrap: true }),
      );
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.json.error.code, 'schema-violation');
      const issues = new Map<string, string>(r.json.error.issues.map((i: Json) => [i.field, i.message]));
      assert.equal(issues.get('--input.customerEmail'), 'expected an email address');
      assert.equal(issues.get('--input.items'), 'expected at least one item');
      assert.match(issues.get('--input.shippingAddress') ?? '', /expected string, received undefined/);
      assert.match(issues.get('--input') ?? '', /Unrecognized key: "giftWrap"/);
      await assertNoRun(workflowId);
      assert.deepEqual(await keysOf(workflowId), []);
      assert.deepEqual(await stockLevels(store), stockBefore);

      const transfer = await cli(
        'start', 'moneyTransfer', '--id', workflowId,
        '--input', JSON.stringify({ transferId: 't-bad', fromAccount: accounts.alice, toAccount: accounts.alice, amount: 100 }),
      );
      assert.equal(transfer.code, 2);
      assert.match(transfer.stderr, /--input\.toAccount: expected an account other than fromAccount/);
      await assertNoRun(workflowId);
    });

    it('start moneyTransfer --wait: exit 0, the result in the --json shape, the money moved, started with the failover start options', async function () {
      const workflowId = uniqueId('transfer-cli');
      const r = await cliJson(
        'start', 'moneyTransfer', '--id', workflowId, '--wait',
        '--input', JSON.stringify({ transferId: workflowId, fromAccount: accounts.alice, toAccount: accounts.bob, amount: 12_345 }),
      );
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(Object.keys(r.json).sort(), ['namespace', 'result', 'runId', 'status', 'taskQueue', 'type', 'workflowId']);
      assert.deepEqual([r.json.type, r.json.status, r.json.workflowId], ['moneyTransfer', 'COMPLETED', workflowId]);
      assert.deepEqual(Object.keys(r.json.result).sort(), ['amount', 'depositId', 'transferId', 'withdrawalId']);
      assert.equal(r.json.result.amount, 12_345);
      const b = await balances(store);
      assert.equal(b[accounts.alice], 100_000 - 12_345);
      assert.equal(b[accounts.bob], 50_000 + 12_345);
      assert.deepEqual((await keysOf(workflowId)).map((k) => keyStep(k.key)), ['deposit', 'withdraw']);
      const { raw } = await temporal.client.workflow.getHandle(workflowId).describe();
      const taskTimeout = raw.executionConfig?.defaultWorkflowTaskTimeout;
      assert.equal(Number(taskTimeout?.seconds) * 1000, msToNumber(STEADFAST_FAILOVER.workflowTaskTimeout));
    });

    it('a compensated order: faults lists it as compensated with its cause chain; status shows the undo in reverse', async function () {
      const workflowId = uniqueId('order-cli-compensated');
      const r = await cliJson(
        'start', 'orderFulfillment', '--id', workflowId, '--wait', '--input', order(workflowId),
        '--fault-plan', '{"createShipment": {"kind": "permanent"}}',
      );
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.json.status, 'FAILED');

      const found = await waitUntil(
        async () => {
          const f = await cliJson('faults', '--since', '10m', '--type', 'orderFulfillment');
          return f.json.runs?.find((run: Json) => run.workflowId === workflowId);
        },
        { what: 'the compensated order in the visibility index' },
      );
      assert.equal(found.status, 'FAILED');
      assert.deepEqual(found.faults, { count: 1, kinds: ['activity-failed', 'compensated'], compensated: true });
      assert.deepEqual(
        found.failure.map((l: Json) => [l.kind, l.type]),
        [
          ['ActivityFailure', 'createShipment'],
          ['ApplicationFailure', 'SimulatedPermanentFault'],
        ],
      );
      assert.match(found.causes[0], /activity createShipment failed.*⟵ \[simulated\] permanent fault/);

      const status = await cliJson('status', workflowId);
      assert.equal(status.code, 0);
      assert.equal(status.json.faults.compensated, true);
      assert.deepEqual(
        status.json.trail.map((s: Json) => [s.name, s.outcome]),
        [
          ['reserveInventory', 'completed'],
          ['chargePayment', 'completed'],
          ['createShipment', 'failed'],
          ['cancelShipment', 'completed'],
          ['refundPayment', 'completed'],
          ['releaseInventory', 'completed'],
        ],
      );
      const undone = await store.all<{ key: string; outcome: string }>(
        'SELECT key, outcome FROM steadfast_compensations WHERE key LIKE ? ORDER BY key',
        [keysLike(workflowId)],
      );
      assert.deepEqual(
        undone.map((u) => [keyStep(u.key), u.outcome]),
        [
          ['charge-payment', 'undone'],
          ['create-shipment', 'nothing-to-undo'],
          ['reserve-inventory', 'undone'],
        ],
      );
    });

    it('status of a productionBatch run that continued as new shows the latest run and its trail', async function () {
      const workflowId = uniqueId('production-cli');
      const line = { lineId: workflowId, product: 'gearbox', batches: 2, batchesPerRun: 1, unitsPerBatch: 4, stages: ['machining'], unitMs: 1, chunkUnits: 2 };
      const started = await cliJson('start', 'productionBatch', '--id', workflowId, '--wait', '--input', JSON.stringify(line));
      assert.equal(started.code, 0, started.stderr);
      assert.deepEqual(started.json.result, { lineId: workflowId, batches: 2, completed: 2, scrapped: 0, reworks: 0, unitsProduced: 8, runs: 2 });

      const status = await cliJson('status', workflowId);
      assert.equal(status.code, 0, status.stderr);
      assert.equal(status.json.type, 'productionBatch');
      assert.equal(status.json.status, 'COMPLETED');
      assert.equal(status.json.runId, started.json.runId, 'the run that completed, after continue-as-new');
      assert.deepEqual(
        status.json.trail.map((s: Json) => [s.kind, s.name, s.outcome]),
        [
          ['activity', 'reserveMaterials', 'completed'],
          ['activity', 'runStage', 'completed'],
          ['activity', 'inspectBatch', 'completed'],
          ['activity', 'recordBatch', 'completed'],
        ],
      );
      const firstRun = await temporal.client.workflow.getHandle(workflowId, started.json.runId).describe();
      const firstRunId = firstRun.raw.workflowExecutionInfo?.firstRunId;
      assert.equal(typeof firstRunId, 'string');
      assert.equal(typeof started.json.runId, 'string');
      assert.notEqual(firstRunId, started.json.runId, 'the line continued as new once');
    });
  });

  describe('reset after a bug is fixed', function () {
    let buggyBundle: Awaited<ReturnType<typeof workflowBundle>>;

    before(async function () {
      buggyBundle = await workflowBundle({ ...REFERENCE_WORKFLOWS, workflowsPath: require.resolve('./fixtures/buggy-workflows') });
    });

    /** Runs `fn` while a worker with the buggy (or, by default, the fixed) code polls `queue`. */
    async function withWorker<T>(queue: string, code: 'buggy' | 'fixed', fn: () => Promise<T>): Promise<T> {
      const w = await referenceWorker({
        connection: temporal.nativeConnection,
        namespace: temporal.namespace,
        taskQueue: queue,
        store,
        overrides: code === 'buggy' ? { workflowBundle: buggyBundle } : {},
      });
      return w.runUntil(fn);
    }

    it('--to last-good: the run completes on the fixed code without repeating effects that landed', async function () {
      const queue = uniqueId('cli-reset-tq');
      const workflowId = uniqueId('care-cli-reset');
      const qenv = { ...env, STEADFAST_TASK_QUEUE: queue };

      const failed = await withWorker(queue, 'buggy', () =>
        runCli(['start', 'carePathway', '--input', input('patient-cli-5'), '--id', workflowId, '--wait', '--json'], qenv),
      );
      assert.equal(failed.code, 1, failed.stderr);
      assert.equal(parseJson<Json>(failed).failure[0].type, BUG_TYPE);
      const rowsBefore = await careRows(workflowId);
      assert.deepEqual(rowsBefore.map((r) => r.kind), ['admission']);

      const { reset, result } = await withWorker(queue, 'fixed', async () => {
        const resetRun = await runCli(['reset', workflowId, '--to', 'last-good', '--json'], qenv);
        const resultRun = await runCli(['result', workflowId, '--json'], qenv);
        return { reset: resetRun, result: resultRun };
      });
      assert.equal(reset.code, 0, reset.stderr);
      const r = parseJson<Json>(reset);
      assert.equal(r.to, 'last-good');
      assert.equal(r.firstFailure.type, 'WorkflowExecutionFailed');
      assert.equal(r.reapplied, 'signals');
      assert.equal(typeof r.newRunId, 'string');
      assert.equal(typeof r.runId, 'string');
      assert.notEqual(r.newRunId, r.runId);
      assert.match(reset.stderr, /^✔ reset .* to event \d+: new run /m);
      assert.equal(result.code, 0, result.stderr);
      const outcome = parseJson<Json>(result);
      assert.equal(outcome.status, 'COMPLETED');
      assert.equal(outcome.runId, r.newRunId);

      // The old run's last good task is the one that ran the buggy check; the new run keeps the
      // history before it, so the admission was not executed again.
      const oldEvents = await historyEvents(temporal.client.workflow.getHandle(workflowId, r.runId));
      const resetPoint = oldEvents.find((e) => Number(e.eventId) === r.eventId)!;
      assert.equal(resetPoint.eventType, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
      assert.equal(Number(oldEvents.at(-1)!.eventId), r.firstFailure.eventId);
      const newEvents = await historyEvents(temporal.client.workflow.getHandle(workflowId, r.newRunId));
      const admissions = newEvents.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'admitPatient');
      assert.equal(admissions.length, 1);
      assert.ok(Number(admissions[0].eventId) < r.eventId, 'the admission is history copied from before the reset point');

      // One row per key: the admission row is the one written before the failure, untouched.
      const rowsAfter = await careRows(workflowId);
      assert.deepEqual(rowsAfter.map((row) => row.kind), ['admission', 'follow-up']);
      assert.deepEqual(rowsAfter[0], rowsBefore[0]);
      assert.deepEqual(
        (
          await store.all<{ key: string; n: number | string }>(
            'SELECT key, COUNT(*) AS n FROM steadfast_idempotency WHERE key LIKE ? GROUP BY key ORDER BY key',
            [keysLike(workflowId)],
          )
        ).map((k) => ({ step: keyStep(k.key), n: Number(k.n) })),
        [
          { step: 'admit', n: 1 },
          { step: 'follow-up', n: 1 },
        ],
      );

      const nothingFailed = await runCli(['reset', workflowId, '--json'], qenv);
      assert.equal(nothingFailed.code, 1);
      assert.equal(parseJson<Json>(nothingFailed).error.code, 'nothing-to-reset');
    });

    it('--to <eventId>: signals received after that point are reapplied to the new run', async function () {
      const queue = uniqueId('cli-reset-tq');
      const workflowId = uniqueId('care-cli-reset-signal');
      const qenv = { ...env, STEADFAST_TASK_QUEUE: queue };
      const handle = temporal.client.workflow.getHandle(workflowId);

      await withWorker(queue, 'buggy', async () => {
        const started = await runCli(['start', 'carePathway', '--input', input('patient-cli-6', { signOffWithin: '1 hour' }), '--id', workflowId], qenv);
        assert.equal(started.code, 0, started.stderr);
        await waitUntil(async () => (await handle.query<{ stage: string }>('state')).stage === 'awaiting-sign-off', { what: 'the sign-off step' });
        const signal = await runCli(['signal', workflowId, 'signOff', '--arg', '{"clinician": "dr-lin"}'], qenv);
        assert.equal(signal.code, 0, signal.stderr);
        assert.equal((await runCli(['result', workflowId], qenv)).code, 1);
      });

      const events = await historyEvents(handle);
      const signalled = events.find((e) => e.workflowExecutionSignaledEventAttributes)!;
      const before = events.filter((e) => e.workflowTaskCompletedEventAttributes && Number(e.eventId) < Number(signalled.eventId)).at(-1)!;
      const activityEvent = events.find((e) => e.activityTaskScheduledEventAttributes)!;

      const badPoint = await runCli(['reset', workflowId, '--to', String(activityEvent.eventId), '--json'], qenv);
      assert.equal(badPoint.code, 2);
      assert.equal(parseJson<Json>(badPoint).error.field, '--to');
      assert.match(parseJson<Json>(badPoint).error.message, /is ActivityTaskScheduled; expected the id of a WorkflowTaskCompleted event/);

      const { reset, result } = await withWorker(queue, 'fixed', async () => ({
        reset: await runCli(['reset', workflowId, '--to', String(before.eventId), '--json'], qenv),
        result: await runCli(['result', workflowId, '--json'], qenv),
      }));
      assert.equal(reset.code, 0, reset.stderr);
      const r = parseJson<Json>(reset);
      assert.equal(r.eventId, Number(before.eventId));
      assert.equal(result.code, 0, result.stderr);
      assert.equal(parseJson<Json>(result).result.signedOffBy, 'dr-lin');

      const newEvents = await historyEvents(temporal.client.workflow.getHandle(workflowId, r.newRunId));
      const reapplied = newEvents.filter((e) => e.workflowExecutionSignaledEventAttributes);
      assert.equal(reapplied.length, 1);
      assert.ok(Number(reapplied[0].eventId) > r.eventId, 'the signal was reapplied after the reset point');
      assert.deepEqual((await careRows(workflowId)).map((row) => row.kind), ['admission', 'follow-up']);
    });

    it('faults finds a compensated run through SteadfastCompensated', async function () {
      const queue = uniqueId('cli-comp-tq');
      const workflowId = uniqueId('compensated');
      await withWorker(queue, 'buggy', () =>
        temporal.client.workflow.execute('compensatedRun', { taskQueue: queue, workflowId }),
      );
      const found = await waitUntil(
        async () => (await cliJson('faults', '--since', '10m')).json.runs?.find((run: Json) => run.workflowId === workflowId),
        { what: 'the compensated run in the visibility index' },
      );
      assert.equal(found.status, 'COMPLETED');
      assert.deepEqual(found.faults, { count: 1, kinds: ['compensated', 'compensation-failed'], compensated: true });
    });
  });
});
