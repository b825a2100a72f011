/**
 * `carePathway` over weeks of simulated time on the time-skipping server: a sign-off on time, one
 * that comes after exactly one escalation, one that never comes (bounded escalations, then the
 * admission is cancelled), a pathway withdrawn while the follow-up waits (its bookings cancelled,
 * last booked first), and the reminders while the follow-up waits (count and keys).
 */
import assert from 'node:assert/strict';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, type Duration } from '@temporalio/common';
import type { Worker } from '@temporalio/worker';
import { startTimeSkippingServer, type TemporalHandle } from 'steadfast/testing';
import type { EffectStore } from 'steadfast/activity';
import { trailFromEvents, workflowStartOptions } from 'steadfast/client';
import { FailureType, SteadfastCompensated } from 'steadfast/workflow';
import { referenceWorker } from './reference-worker';
import { carePathway } from '../workflows';
import {
  PATHWAY_WITHDRAWN,
  SIGN_OFF_OVERDUE,
  signOffSignal,
  withdrawSignal,
  type CarePathwayInput,
} from '../workflows/care-pathway';
import { historyEvents, keyOf, keyStep, keysLike, tempSqliteStore, uniqueId, waitUntil } from './helpers';

const DAY_S = 86_400;

describe('carePathway escalations, withdrawal and reminders (time-skipping server)', function () {
  this.timeout(120_000);
  let temporal: TemporalHandle;
  let store: EffectStore;
  let cleanupStore: () => Promise<void>;

  before(async function () {
    temporal = await startTimeSkippingServer();
    ({ store, cleanup: cleanupStore } = await tempSqliteStore());
  });

  after(async function () {
    await temporal?.close().catch((err) => console.error('server teardown failed:', err));
    await cleanupStore?.();
  });

  const input = (overrides: Partial<CarePathwayInput> = {}): CarePathwayInput => ({
    patientId: 'patient-77',
    ward: 'cardiology',
    followUpAfter: '14 days',
    signOffWithin: '2 days',
    escalateEvery: '1 day',
    ...overrides,
  });

  /** Runs a worker while `body` drives the run; returns the run's outcome (result or failure). */
  async function withRun(
    args: CarePathwayInput,
    body: (handle: WorkflowHandle<typeof carePathway>) => Promise<void>,
    start: 'start' | 'signed' = 'start',
  ) {
    const taskQueue = uniqueId('care-escalation-tq');
    const workflowId = uniqueId('care');
    const worker: Worker = await referenceWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue,
      store,
    });
    const options = { taskQueue, workflowId, args: [args] as [CarePathwayInput], ...workflowStartOptions() };
    const handle =
      start === 'signed'
        ? await temporal.client.workflow.signalWithStart(carePathway, {
            ...options,
            signal: signOffSignal,
            signalArgs: [{ clinician: 'dr-adeyemi' }],
          })
        : await temporal.client.workflow.start(carePathway, options);
    const typed = temporal.client.workflow.getHandle<typeof carePathway>(workflowId);
    const outcome = await worker.runUntil(async () => {
      await body(typed);
      return typed.result().then(
        (result) => ({ result, error: undefined }),
        (error: unknown) => ({ result: undefined, error }),
      );
    });
    return { ...outcome, handle, workflowId };
  }

  /** The run's care events (kind and key without the workflow id), and which were cancelled. */
  async function careRows(workflowId: string) {
    const rows = await store.all<{ key: string; kind: string; cancelled: string | null }>(
      `SELECT e.key, e.kind, c.compensation_key AS cancelled FROM care_events e
       LEFT JOIN care_cancellations c ON c.key = e.key WHERE e.key LIKE ? ORDER BY e.created_at, e.key`,
      [keysLike(workflowId)],
    );
    return rows.map((r) => ({
      step: keyStep(r.key),
      kind: r.kind,
      cancelled: r.cancelled !== null,
    }));
  }

  /** Waits (time locked) until the run has started `n` timers, then lets `duration` of simulated time pass. */
  async function afterTimers(handle: WorkflowHandle, n: number, duration: Duration) {
    await waitUntil(async () => (await historyEvents(handle)).filter((e) => e.timerStartedEventAttributes).length >= n, {
      what: `timer ${n} to start`,
    });
    await temporal.env!.sleep(duration);
  }

  function failureOf(error: unknown): ApplicationFailure {
    assert.ok(error instanceof WorkflowFailedError, `expected the run to fail, got ${String(error)}`);
    assert.ok(error.cause instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(error.cause)}`);
    return error.cause;
  }

  it('signed off on time: no page, the follow-up booked, no escalation', async function () {
    const { result, error, workflowId } = await withRun(input(), async () => {}, 'signed');
    assert.equal(error, undefined);
    assert.equal(result?.signedOffBy, 'dr-adeyemi');
    assert.equal(result?.escalations, 0);
    assert.deepEqual(await careRows(workflowId), [
      { step: 'admit', kind: 'admission', cancelled: false },
      { step: 'follow-up', kind: 'follow-up', cancelled: false },
    ]);
  });

  it('signed off late: exactly one page of the on-call clinician, then the pathway goes on', async function () {
    const { result, error, handle, workflowId } = await withRun(input(), async (h) => {
      // Past the 2-day deadline, not past the day the escalation waits: one page, then the sign-off.
      await afterTimers(h, 1, '49 hours');
      await waitUntil(async () => store.get('SELECT key FROM care_events WHERE key = ?', [await keyOf(h, 'page-on-call/1')]), {
        what: 'the first page',
      });
      await h.signal(signOffSignal, { clinician: 'dr-late' });
    });
    assert.equal(error, undefined);
    assert.equal(result?.signedOffBy, 'dr-late');
    assert.equal(result?.escalations, 1);
    assert.deepEqual(await careRows(workflowId), [
      { step: 'admit', kind: 'admission', cancelled: false },
      { step: 'page-on-call/1', kind: 'page', cancelled: false },
      { step: 'follow-up', kind: 'follow-up', cancelled: false },
    ]);
    const pages = trailFromEvents(await historyEvents(handle)).filter((s) => s.name === 'pageOnCall');
    assert.equal(pages.length, 1);
  });

  it('never signed off: pages twice, then fails SignOffOverdue and cancels the admission', async function () {
    const { error, handle, workflowId } = await withRun(input(), async () => {});
    const failure = failureOf(error);
    assert.equal(failure.type, SIGN_OFF_OVERDUE);
    assert.match(failure.message, /2 escalation/);
    assert.deepEqual(await careRows(workflowId), [
      { step: 'admit', kind: 'admission', cancelled: true },
      { step: 'page-on-call/1', kind: 'page', cancelled: false },
      { step: 'page-on-call/2', kind: 'page', cancelled: false },
    ]);
    // 2 days, then 1 day after each of the two pages.
    const timers = (await historyEvents(handle))
      .map((e) => e.timerStartedEventAttributes?.startToFireTimeout?.seconds)
      .filter((s) => s != null)
      .map(Number);
    assert.deepEqual(timers, [2 * DAY_S, DAY_S, DAY_S]);
    assert.equal((await handle.describe()).typedSearchAttributes.get(SteadfastCompensated), true);
  });

  it('withdrawn while the follow-up waits: cancels the follow-up, then the admission, and fails PathwayWithdrawn', async function () {
    const { error, handle, workflowId } = await withRun(
      input({ followUpAfter: '21 days', remindEvery: '7 days' }),
      async (h) => {
        await afterTimers(h, 1, '7 days');
        await waitUntil(async () => store.get('SELECT key FROM care_events WHERE key = ?', [await keyOf(h, 'reminder/1')]), {
          what: 'the first reminder',
        });
        await h.signal(withdrawSignal, { by: 'patient', reason: 'moved away' });
      },
      'signed',
    );
    const failure = failureOf(error);
    assert.equal(failure.type, PATHWAY_WITHDRAWN);
    assert.deepEqual(await careRows(workflowId), [
      { step: 'admit', kind: 'admission', cancelled: true },
      { step: 'follow-up', kind: 'follow-up', cancelled: true },
      { step: 'reminder/1', kind: 'reminder', cancelled: false },
    ]);
    // The compensations ran in reverse order of the bookings, each undoing a landed effect.
    const undone = await store.all<{ key: string; compensation_key: string; outcome: string }>(
      'SELECT key, compensation_key, outcome FROM steadfast_compensations WHERE key LIKE ? ORDER BY created_at',
      [keysLike(workflowId)],
    );
    assert.deepEqual(
      undone.map((u) => [keyStep(u.key), keyStep(u.compensation_key), u.outcome]),
      [
        ['follow-up', 'cancel-follow-up', 'undone'],
        ['admit', 'cancel-admission', 'undone'],
      ],
    );
    const scheduled = (await historyEvents(handle))
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
      .filter((n) => n != null);
    assert.deepEqual(scheduled, ['admitPatient', 'scheduleFollowUp', 'sendFollowUpReminder', 'cancelFollowUp', 'cancelAdmission']);
  });

  it('reminds the patient every week until the appointment: three reminders in four weeks, one key each', async function () {
    const { result, error, handle, workflowId } = await withRun(
      input({ followUpAfter: '28 days', remindEvery: '7 days' }),
      async () => {},
      'signed',
    );
    assert.equal(error, undefined);
    assert.equal(result?.reminders, 3);
    const reminders = await store.all<{ key: string; detail: string }>(
      "SELECT key, detail FROM care_events WHERE key LIKE ? AND kind = 'reminder' ORDER BY key",
      [keysLike(workflowId)],
    );
    assert.deepEqual(
      reminders.map((r) => [r.key, JSON.parse(r.detail).reminder]),
      await Promise.all([1, 2, 3].map(async (n) => [await keyOf(handle, `reminder/${n}`), n])),
    );
    assert.ok(reminders.every((r) => JSON.parse(r.detail).appointmentId === result?.appointmentId));
    const timers = (await historyEvents(handle))
      .map((e) => e.timerStartedEventAttributes?.startToFireTimeout?.seconds)
      .filter((s) => s != null)
      .map(Number);
    assert.deepEqual(timers, [7 * DAY_S, 7 * DAY_S, 7 * DAY_S, 7 * DAY_S], 'three reminder weeks, then the last week');
  });

  it('rejects a bad maxEscalations before any step, naming the field', async function () {
    const { error, workflowId } = await withRun(input({ maxEscalations: -1 }), async () => {});
    const failure = failureOf(error);
    assert.equal(failure.type, FailureType.invalidRequest);
    assert.match(failure.message, /maxEscalations: expected an integer from 0 to 10/);
    assert.deepEqual(await careRows(workflowId), []);
  });
});
