/**
 * Fault records from real runs on the dev server: injected faults (transient, lost-ack, hang,
 * permanent), a worker process SIGKILLed in the middle of an activity, the attempt observer
 * sampling the server, and the worker's own Prometheus endpoint.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { prepareStore } from '../activities';
import { openStore, type EffectStore } from '../src/activity/store';
import { AttemptObserver } from '../src/chaos/attempt-observer';
import { extractFaultRecords } from '../src/chaos/fault-records';
import { computeMetrics, recoveryTime, timeToDetect, timeToRecover, type FaultRecord } from '../src/chaos/metrics';
import { scrape, sumOf } from '../src/chaos/prometheus';
import { SupervisedWorkerPool, WorkerPool } from '../src/chaos/worker-pool';
import { WORKER_PROCESS_EXITED } from '../src/common/failure-types';
import project from '../steadfast.config';
import { startDevServer, type TemporalHandle } from '../src/platform/servers';
import { referenceWorker } from './reference-worker';
import { carePathway } from '../workflows';
import { FAULT_PLAN_MEMO_KEY, type FaultPlan } from '../src/common/fault-plan';
import { historyEvents, keysLike, uniqueId, waitUntil } from './helpers';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/**
 * When the server started the last attempt of `activityType`, and which attempt it was: the first
 * moment the history proves that the server had noticed the earlier attempts' failure.
 */
function lastAttemptStart(events: HistoryEvent[], activityType: string): { at: number; attempt: number } {
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType);
  assert.ok(scheduled, `${activityType} scheduled`);
  const started = events.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduled.eventId));
  assert.ok(started, `${activityType} started`);
  return { at: optionalTsToMs(started.eventTime)!, attempt: started.activityTaskStartedEventAttributes!.attempt! };
}

/** The time of the first event matching `pick`, in ms. */
function eventTime(events: HistoryEvent[], pick: (e: HistoryEvent) => unknown): number {
  const e = events.find(pick);
  assert.ok(e, 'expected event not in history');
  return optionalTsToMs(e.eventTime)!;
}

describe('chaos: fault records and worker metrics from real runs (dev server)', function () {
  // Worker processes, a kill and 10 s timeouts: minutes on a loaded machine (a deadline, not a bound).
  this.timeout(300_000);
  let temporal: TemporalHandle;
  let store: EffectStore;
  let storeUrl: string;
  let dir: string;
  let pool: WorkerPool | undefined;

  before(async function () {
    temporal = await startDevServer();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-chaos-'));
    storeUrl = `sqlite:${path.join(dir, 'effects.db')}`;
    store = openStore(storeUrl);
    await prepareStore(store);
  });

  after(async function () {
    await pool?.stopAll().catch((err) => console.error('stopping worker processes failed:', err));
    await temporal?.close().catch((err) => console.error('server teardown failed:', err));
    await store?.close().catch((err) => console.error('store close failed:', err));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  function start(taskQueue: string, plan: FaultPlan, patient: string): Promise<WorkflowHandle<typeof carePathway>> {
    return temporal.client.workflow.start(carePathway, {
      taskQueue,
      workflowId: uniqueId(`chaos-care-${patient}`),
      args: [{ patientId: uniqueId(patient), ward: 'cardiology', followUpAfter: '1 second' }],
      memo: { [FAULT_PLAN_MEMO_KEY]: plan },
    });
  }

  it('a worker process serves the SDK Prometheus metrics, with real failure and completion counters', async function () {
    const taskQueue = uniqueId('chaos-metrics-tq');
    pool = new WorkerPool({ address: temporal.address, namespace: temporal.namespace, taskQueue, storeUrl, logDir: dir, client: temporal.client });
    const worker = await pool.start();
    const handle = await start(taskQueue, { admitPatient: { kind: 'transient', times: 2 } }, 'metrics');
    await handle.result();
    // The worker's core exports on its own schedule: poll until the counters show this run.
    const samples = await waitUntil(
      async () => {
        const s = await scrape(worker.metricsUrl);
        return sumOf(s, 'temporal_workflow_completed') >= 1 ? s : undefined;
      },
      { what: 'temporal_workflow_completed on the worker endpoint', timeoutMs: 20_000 },
    );
    assert.equal(sumOf(samples, 'temporal_activity_execution_failed', { activity_type: 'admitPatient' }), 2);
    assert.equal(sumOf(samples, 'temporal_workflow_completed', { workflow_type: 'carePathway' }), 1);
    assert.ok(sumOf(samples, 'temporal_activity_task_received') >= 4, 'three admission attempts and one follow-up');
    await pool.stopAll();
    assert.equal((await worker.process.exited).code, 0, 'SIGTERM stops the worker process gracefully');
  });

  it('extracts every injected fault, with server and kill-log times, from histories and observed attempts', async function () {
    const taskQueue = uniqueId('chaos-records-tq');
    const killQueue = uniqueId('chaos-kill-tq');
    const observer = new AttemptObserver(temporal.client, temporal.namespace);
    pool = new WorkerPool({ address: temporal.address, namespace: temporal.namespace, taskQueue: killQueue, storeUrl, logDir: dir, client: temporal.client });
    const doomed = await pool.start();

    const flaky = await start(taskQueue, { admitPatient: { kind: 'transient', times: 2 }, scheduleFollowUp: { kind: 'lost-ack' } }, 'flaky');
    const hung = await start(taskQueue, { scheduleFollowUp: { kind: 'hang' } }, 'hung');
    const rejected = await start(taskQueue, { admitPatient: { kind: 'permanent' } }, 'rejected');
    // On the kill queue only the doomed worker polls: its admission attempt hangs until it dies.
    const killed = await start(killQueue, { admitPatient: { kind: 'hang' } }, 'killed');
    const handles = [flaky, hung, rejected, killed];
    const settled = Promise.allSettled(handles.map((h) => h.result()));
    const sampling = observer.sampleUntil(handles.map((h) => h.workflowId), settled);

    const inProcess = await referenceWorker({ connection: temporal.nativeConnection, namespace: temporal.namespace, taskQueue, store });
    const rescuer = await referenceWorker({ connection: temporal.nativeConnection, namespace: temporal.namespace, taskQueue: killQueue, store });
    const [results] = await Promise.all([
      inProcess.runUntil(async () => {
        await waitUntil(
          async () => (await killed.describe()).raw.pendingActivities?.some((p) => p.lastWorkerIdentity === doomed.identity && Number(p.state) === 2),
          { what: 'the admission running on the doomed worker', timeoutMs: 120_000 },
        );
        pool!.kill(doomed);
        return rescuer.runUntil(settled);
      }),
    ]);
    await sampling;
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);

    const recordsOf = async (h: WorkflowHandle, correct = true) => {
      const events = await historyEvents(h);
      const records = extractFaultRecords(events, {
        workflowId: h.workflowId,
        workflowType: 'carePathway',
        outcomeCorrect: correct,
        kills: pool!.kills,
        attemptFailures: observer.failures(),
      });
      return { events, records };
    };

    // flaky: two transient faults on the admission, one lost reply on the follow-up.
    {
      const { events, records } = await recordsOf(flaky);
      assert.deepEqual(records.map((r) => [r.kind, r.step]), [
        ['transient', 'admitPatient'],
        ['transient', 'admitPatient'],
        ['lost-ack', 'scheduleFollowUp'],
      ]);
      const admitScheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'admitPatient')!.eventId!.toString();
      const admitted = eventTime(events, (e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === admitScheduled);
      for (const r of records) {
        assert.ok(r.injectedAt !== undefined && r.detectedAt !== undefined, `${r.step}: both times known`);
        assert.ok(r.injectedAt <= r.detectedAt, 'injected before detected');
      }
      // Measured from the history: the server detected each failure before it started the retry.
      const admission = lastAttemptStart(events, 'admitPatient');
      const followUp = lastAttemptStart(events, 'scheduleFollowUp');
      assert.deepEqual([admission.attempt, followUp.attempt], [3, 2]);
      assert.ok(records[1].detectedAt! <= admission.at, 'the second failure was detected before attempt 3 started');
      assert.ok(records[2].detectedAt! <= followUp.at, 'the lost reply was detected before the retry started');
      console.log(`      (thrown failures: T_FD ${records.map((r) => timeToDetect(r)).join(', ')} ms)`);
      // Retry policy: 1 s after the first failure, 2 s after the second (backoff coefficient 2).
      assert.equal(records[0].recoveredAt, admitted);
      assert.ok(timeToRecover(records[0])! >= 3_000 - 50, `T_R ${timeToRecover(records[0])} ≥ 1 s + 2 s of backoff`);
      assert.ok(timeToRecover(records[1])! >= 2_000 - 50, `T_R ${timeToRecover(records[1])} ≥ 2 s of backoff`);
      assert.ok(timeToRecover(records[2])! >= 1_000 - 50, `T_R ${timeToRecover(records[2])} ≥ 1 s of backoff`);
      const followUps = await store.all('SELECT key FROM care_events WHERE key LIKE ?', [keysLike(flaky.workflowId, 'follow-up')]);
      assert.equal(followUps.length, 1, 'the lost reply did not duplicate the booking');
    }

    // hung: the follow-up's first attempt times out after its 10 s start-to-close timeout.
    {
      const { events, records } = await recordsOf(hung);
      assert.equal(records.length, 1);
      const [r] = records;
      assert.deepEqual([r.kind, r.step], ['timeout', 'scheduleFollowUp']);
      // Measured from the history, not from the timeout: the retry (attempt 2) started at least one
      // start-to-close timeout after attempt 1 started (the observer saw it start), and the
      // detection recorded lies between the two.
      const retry = lastAttemptStart(events, 'scheduleFollowUp');
      assert.equal(retry.attempt, 2);
      assert.ok(r.injectedAt !== undefined && r.detectedAt !== undefined, 'both times known');
      assert.ok(retry.at - r.injectedAt >= 10_000, `the retry started ${retry.at - r.injectedAt} ms after attempt 1, past its 10 s timeout`);
      assert.ok(r.injectedAt < r.detectedAt && r.detectedAt <= retry.at, 'detected after the attempt started, before the retry started');
      assert.ok(r.recoveredAt !== undefined && r.recoveredAt >= retry.at, 'recovered by the retry');
      console.log(`      (hang: retry started ${retry.at - r.injectedAt} ms after the attempt; T_FD ${timeToDetect(r)} ms)`);
    }

    // rejected: a permanent fault is detected by the ActivityTaskFailed event and never recovers.
    {
      const { events, records } = await recordsOf(rejected);
      assert.equal(records.length, 1);
      const [r] = records;
      assert.deepEqual([r.kind, r.step], ['permanent', 'admitPatient']);
      assert.equal(r.detectedAt, eventTime(events, (e) => e.activityTaskFailedEventAttributes));
      assert.equal(r.recoveredAt, undefined);
    }

    // killed: the kill is the injection; the server notices at the attempt's timeout.
    {
      const { events, records } = await recordsOf(killed);
      const [kill] = pool.kills;
      const r = records.find((x) => x.step === 'admitPatient');
      assert.ok(r, 'the kill shows up as a fault of the admission');
      assert.equal(r.kind, 'worker-kill');
      assert.equal(r.injectedAt, kill.at);
      // Measured from the history: the server noticed the dead attempt before it started the retry.
      const retry = lastAttemptStart(events, 'admitPatient');
      assert.ok(r.detectedAt !== undefined && r.detectedAt > kill.at && r.detectedAt <= retry.at, 'detected after the kill, before the retry');
      assert.equal(r.recoveredAt, eventTime(events, (e) => e.activityTaskCompletedEventAttributes));
      const retried = events.find((e) => e.activityTaskStartedEventAttributes)!.activityTaskStartedEventAttributes!;
      assert.equal(retried.attempt, 2);
      assert.equal(typeof retried.identity, 'string');
      assert.notEqual(retried.identity, doomed.identity, 'another worker ran the retry');
      console.log(`      (kill: retry started ${retry.at - kill.at} ms after the kill)`);
      console.log(`      (kill: T_FD ${timeToDetect(r)} ms, T_R ${timeToRecover(r)} ms, T_RT ${recoveryTime(r)} ms)`);
    }

    const all: FaultRecord[] = [];
    for (const h of handles) all.push(...(await recordsOf(h)).records);
    const starts = await Promise.all(handles.map(async (h) => (await h.describe()).startTime.getTime()));
    const closes = await Promise.all(handles.map(async (h) => (await h.describe()).closeTime!.getTime()));
    const m = computeMetrics(all, { start: Math.min(...starts), end: Math.max(...closes) });
    assert.equal(m.faults, 6);
    assert.deepEqual(m.faultsByKind, { transient: 2, 'lost-ack': 1, timeout: 1, permanent: 1, 'worker-kill': 1 });
    assert.equal(m.tRT.count, 5, 'all but the permanent fault recovered');
  });

  it("under a supervisor: the killed child's attempt is failed at once (WorkerProcessExited), retried on its replacement, and recorded as the kill's fault", async function () {
    const taskQueue = uniqueId('chaos-supervised-tq');
    const observer = new AttemptObserver(temporal.client, temporal.namespace);
    const supervised = new SupervisedWorkerPool({ address: temporal.address, namespace: temporal.namespace, taskQueue, storeUrl, project });
    try {
      await supervised.startAll(1);
      const [doomed] = supervised.ready();
      // Only the doomed child polls: its admission attempt hangs until it dies.
      const handle = await start(taskQueue, { admitPatient: { kind: 'hang', times: 1 } }, 'supervised');
      const settled = handle.result();
      const sampling = observer.sampleUntil([handle.workflowId], settled);
      await waitUntil(
        async () => (await handle.describe()).raw.pendingActivities?.some((p) => p.lastWorkerIdentity === doomed.identity && Number(p.state) === 2),
        { what: 'the admission running on the supervised child', timeoutMs: 120_000 },
      );
      const kill = supervised.kill(doomed);
      await settled;
      await sampling;

      const events = await historyEvents(handle);
      const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'admitPatient')!;
      const retried = events.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduled.eventId))!
        .activityTaskStartedEventAttributes!;
      assert.equal(retried.attempt, 2);
      // Not a timeout: the supervisor failed the dead child's attempt through the async-completion API.
      assert.equal(retried.lastFailure?.applicationFailureInfo?.type, WORKER_PROCESS_EXITED);
      assert.notEqual(retried.identity, doomed.identity, "the supervisor's replacement ran the retry");
      assert.equal(supervised.workers.length, 2, 'the supervisor started one replacement');

      const records = extractFaultRecords(events, {
        workflowId: handle.workflowId,
        workflowType: 'carePathway',
        outcomeCorrect: true,
        kills: supervised.kills,
        attemptFailures: observer.failures(),
      });
      const r = records.find((x) => x.step === 'admitPatient');
      assert.ok(r, 'the kill shows up as a fault of the admission');
      assert.deepEqual([r.kind, r.injectedAt], ['worker-kill', kill.at]);
      assert.equal(r.recoveredAt, eventTime(events, (e) => e.activityTaskCompletedEventAttributes));
      // Detected after the kill and, whether the observer saw the failure or not, by the retry's start.
      assert.ok(r.detectedAt !== undefined && r.detectedAt >= kill.at && r.detectedAt <= lastAttemptStart(events, 'admitPatient').at, `detected at ${r.detectedAt}`);
      assert.equal(recoveryTime(r), r.recoveredAt! - kill.at, 'its T_RT runs from the kill to the step completed');
      console.log(`      (supervised kill: retry started ${lastAttemptStart(events, 'admitPatient').at - kill.at} ms after the kill; T_RT ${recoveryTime(r)} ms)`);
    } finally {
      await supervised.stopAll();
    }
  });
});
