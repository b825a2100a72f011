/**
 * What holds when a client other than Steadfast's CLI starts and drives runs (a raw Temporal
 * client here, standing in for another language, a schedule or the Web UI): workflows check their
 * own input, signals and updates; a malformed fault plan in the memo fails the run before any
 * effect; a run whose workflow task keeps failing is listed by `steadfast faults` and shown by
 * `status`; runs get Steadfast's workflow task timeout from the server; and no failure recorded in
 * the history carries a worker file path.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal as proto } from '@temporalio/proto';
import type { Worker } from '@temporalio/worker';
import { balances } from '../activities/bank';
import { seedFinance, type FinanceFixture } from '../activities/finance-seed';
import type { EffectStore } from '../src/activity/store';
import { FailureType, FAULT_PLAN_MEMO_KEY, INVALID_FAULT_PLAN } from 'steadfast/workflow';
import { startDevServer, type TemporalHandle } from '../src/platform/servers';
import { createWorker } from 'steadfast/worker';
import { createActivities } from '../activities';
import { REFERENCE_WORKFLOWS, referenceWorker } from './reference-worker';
import { parseJson, runCli } from './cli-process';
import { historyEvents, tempSqliteStore, uniqueId, waitUntil } from './helpers';

const { EventType } = proto.api.enums.v1;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const REPO_ROOT = path.resolve(__dirname, '..');

describe('foreign clients: strict inputs, checked fault plans, stuck runs, clean failures', function () {
  this.timeout(300_000);
  let temporal: TemporalHandle;
  let store: EffectStore;
  let cleanupStore: () => Promise<void>;
  let fixture: FinanceFixture;
  const taskQueue = uniqueId('foreign-tq');
  const buggyQueue = uniqueId('foreign-buggy-tq');
  let workers: Worker[] = [];
  let runs: Promise<void>[] = [];

  before(async function () {
    temporal = await startDevServer();
    ({ store, cleanup: cleanupStore } = await tempSqliteStore());
    fixture = await seedFinance(store);
    const base = { connection: temporal.nativeConnection, namespace: temporal.namespace };
    workers = [
      await referenceWorker({ ...base, store, taskQueue }),
      await createWorker({
        ...base,
        ...REFERENCE_WORKFLOWS,
        taskQueue: buggyQueue,
        workflowsPath: require.resolve('./fixtures/buggy-workflows'),
        activities: createActivities(store),
      }),
    ];
    runs = workers.map((w) => w.run());
  });

  after(async function () {
    for (const w of workers) w.shutdown();
    await Promise.all(runs.map((r) => r.catch((err) => console.error('worker failed:', err))));
    await cleanupStore?.();
    await temporal?.close().catch((err) => console.error('server teardown failed:', err));
  });

  /** Starts a run the way a foreign client does: no Steadfast start options. */
  const startRaw = (type: string, input: unknown, opts: { memo?: Record<string, unknown>; queue?: string } = {}) =>
    temporal.client.workflow.start(type, {
      taskQueue: opts.queue ?? taskQueue,
      workflowId: uniqueId(`foreign-${type}`),
      args: [input],
      ...(opts.memo ? { memo: opts.memo } : {}),
    });

  async function failureOf(handle: WorkflowHandle): Promise<ApplicationFailure> {
    const err = await handle.result().then(
      () => assert.fail('the run completed'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError, String(err));
    assert.ok(err.cause instanceof ApplicationFailure, String(err.cause));
    return err.cause;
  }

  const scheduledActivities = async (handle: WorkflowHandle) =>
    (await historyEvents(handle)).filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);

  const transfer = (extra: Json = {}) => ({
    transferId: uniqueId('t'),
    fromAccount: fixture.accounts.alice,
    toAccount: fixture.accounts.bob,
    amount: 1_000,
    ...extra,
  });

  it('a run started without a workflow task timeout gets Steadfast\'s 5 s from the server', async function () {
    const handle = await startRaw('moneyTransfer', transfer());
    await handle.result();
    const started = (await historyEvents(handle))[0]!.workflowExecutionStartedEventAttributes!;
    assert.equal(Number(started.workflowTaskTimeout?.seconds), 5);
  });

  it('an unknown input key fails the run non-retryably, naming the key, before any effect', async function () {
    const before = await balances(store);
    const handle = await startRaw('moneyTransfer', transfer({ currency: 'EUR' }));
    const failure = await failureOf(handle);
    assert.equal(failure.type, FailureType.invalidRequest);
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /currency/);
    assert.deepEqual(await scheduledActivities(handle), []);
    assert.deepEqual(await balances(store), before);
  });

  it('carePathway with followUpAfter "soon" fails at once, naming the field; nobody is admitted', async function () {
    const handle = await startRaw('carePathway', { patientId: 'p-soon', ward: 'icu', followUpAfter: 'soon' });
    const failure = await failureOf(handle);
    assert.equal(failure.type, FailureType.invalidRequest);
    assert.match(failure.message, /followUpAfter: expected a positive duration/);
    assert.deepEqual(await scheduledActivities(handle), []);
  });

  it('a bad update argument is rejected, a bad signal is ignored; good ones are applied', async function () {
    const handle = await startRaw('carePathway', { patientId: 'p-msg', ward: 'icu', followUpAfter: '1 hour', signOffWithin: '1 hour' });
    await assert.rejects(
      handle.executeUpdate('addNote', { args: [{ author: 'dr-ada', text: 'ok', urgent: true }] }),
      (err: unknown) => err instanceof WorkflowUpdateFailedError && /urgent/.test(String((err.cause as Error).message)),
    );
    await handle.signal('signOff', { clinicain: 'dr-typo' });
    assert.equal(await handle.executeUpdate('addNote', { args: [{ author: 'dr-ada', text: 'stable' }] }), 1);
    const state = await handle.query<Json>('state');
    assert.equal(state.signedOffBy, undefined, 'the misspelt sign-off was ignored');
    assert.equal(state.notes.length, 1);
    await handle.signal('signOff', { clinician: 'dr-who' });
    await waitUntil(async () => (await handle.query<Json>('state')).signedOffBy === 'dr-who', { what: 'the sign-off' });
    await handle.terminate('test done');
  });

  for (const [what, plan, problem] of [
    ['a misspelt kind', { deposit: { kind: 'permament' } }, /deposit\.kind: expected an object whose kind is one of: transient, permanent/],
    ['a transient fault without times', { deposit: { kind: 'transient' } }, /deposit\.times: a transient fault needs times/],
    ['a plan sent as a JSON string', JSON.stringify({ deposit: { kind: 'permanent' } }), /not as a string holding JSON/],
  ] as const) {
    it(`a memo fault plan with ${what} fails the run non-retryably before any effect`, async function () {
      const before = await balances(store);
      const handle = await startRaw('moneyTransfer', transfer(), { memo: { [FAULT_PLAN_MEMO_KEY]: plan } });
      const failure = await failureOf(handle);
      assert.equal(failure.type, INVALID_FAULT_PLAN);
      assert.equal(failure.nonRetryable, true);
      assert.match(failure.message, problem);
      assert.deepEqual(await scheduledActivities(handle), []);
      assert.deepEqual(await balances(store), before);
    });
  }

  it('a run whose workflow task keeps failing is listed by faults and shown by status, with its cause', async function () {
    this.timeout(240_000);
    const handle = await startRaw('wedgedPathway', { patientId: 'p-wedged', ward: 'icu', followUpAfter: '1 hour' }, { queue: buggyQueue });
    const env = { TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace };
    const listed = await waitUntil(
      async () => {
        const r = await runCli(['faults', '--json'], env);
        assert.equal(r.code, 0, r.stderr);
        return parseJson<Json>(r).runs.find((run: Json) => run.workflowId === handle.workflowId);
      },
      { timeoutMs: 150_000, intervalMs: 1000, what: 'the stuck run in steadfast faults' },
    );
    assert.equal(listed.status, 'RUNNING');
    assert.ok(listed.stuck.attempt >= 2, JSON.stringify(listed.stuck));
    assert.match(listed.causes[0], /^workflow task failing \(attempt \d+, WORKFLOW_WORKER_UNHANDLED_FAILURE\): Cannot read properties of undefined/);

    const status = await runCli(['status', handle.workflowId, '--json'], env);
    assert.equal(status.code, 0, status.stderr);
    assert.match(parseJson<Json>(status).stuck.failure[0].message, /Cannot read properties of undefined/);
    const text = await runCli(['status', handle.workflowId], env);
    assert.match(text.stdout, /^faults +workflow task failing \(attempt \d+/m);
    assert.doesNotMatch(text.stdout, /none recorded/);

    // The server's own marker, where it has one (1.30+), is what the faults query matched.
    const described = await handle.describe();
    assert.ok(Array.isArray(described.searchAttributes.TemporalReportedProblems), 'TemporalReportedProblems is set');

    const events = await historyEvents(handle);
    const failed = events.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    assert.ok(failed, 'the first workflow task failure is in the history');
    assert.match(failed.workflowTaskFailedEventAttributes!.failure!.stackTrace ?? '', /index\.ts:\d+/);
    await handle.terminate('test done');
  });

  it('failures in the history carry no worker file paths', async function () {
    // An activity failure (a business rejection thrown in activity code) and the run's own failure.
    const handle = await startRaw('moneyTransfer', transfer({ toAccount: fixture.accounts.carol }));
    await assert.rejects(handle.result(), WorkflowFailedError);
    const raw = JSON.stringify(proto.api.history.v1.History.toObject(proto.api.history.v1.History.create({ events: await historyEvents(handle) })));
    assert.ok(raw.includes('stackTrace'), 'the failures have stack traces');
    assert.ok(!raw.includes(REPO_ROOT), `a worker path (${REPO_ROOT}) leaked into the history`);
    assert.ok(!raw.includes('node_modules/'), 'a dependency path leaked into the history');
  });
});
