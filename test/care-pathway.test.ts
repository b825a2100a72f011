/**
 * The first durable workflow end to end: `carePathway` waits for days and survives a flaky
 * hospital system, on the time-skipping test server and on the dev server.
 */
import assert from 'node:assert/strict';
import type { Worker } from '@temporalio/worker';
import type { Duration } from '@temporalio/common';
import { startDevServer, startTimeSkippingServer, type TemporalHandle } from '../src/platform/servers';
import { referenceWorker } from './reference-worker';
import { carePathway } from '../workflows';
import { FAULT_PLAN_MEMO_KEY, type FaultPlan } from '../src/common/fault-plan';
import type { EffectStore } from '../src/activity/store';
import { trailFromEvents } from '../src/client/trail';
import { historyEvents, keysLike, tempSqliteStore, uniqueId } from './helpers';

const flakyAdmissions: FaultPlan = { admitPatient: { kind: 'transient', times: 2 } };

for (const [name, start, followUpAfter] of [
  ['time-skipping test server', startTimeSkippingServer, '3 days'],
  ['dev server', () => startDevServer(), '1 second'],
] as const) {
  describe(`carePathway on the ${name}`, function () {
    let temporal: TemporalHandle;
    let store: EffectStore;
    let cleanupStore: () => Promise<void>;

    before(async function () {
      temporal = await start();
      ({ store, cleanup: cleanupStore } = await tempSqliteStore());
    });

    after(async function () {
      await temporal?.close().catch((err) => console.error('server teardown failed:', err));
      await cleanupStore?.();
    });

    async function run(followUp: Duration) {
      const taskQueue = uniqueId('care-tq');
      const workflowId = uniqueId('care-patient-42');
      const worker: Worker = await referenceWorker({
        connection: temporal.nativeConnection,
        namespace: temporal.namespace,
        taskQueue,
        store,
      });
      const handle = await temporal.client.workflow.start(carePathway, {
        taskQueue,
        workflowId,
        args: [{ patientId: 'patient-42', ward: 'cardiology', followUpAfter: followUp }],
        memo: { [FAULT_PLAN_MEMO_KEY]: flakyAdmissions },
      });
      const result = await worker.runUntil(handle.result());
      return { handle, result, workflowId };
    }

    it('retries the flaky admission twice, waits, and books the follow-up once', async function () {
      const wallStart = Date.now();
      const { handle, result, workflowId } = await run(followUpAfter);
      const wallMs = Date.now() - wallStart;

      const events = await historyEvents(handle);
      const activities = trailFromEvents(events)
        .filter((s) => s.kind === 'activity')
        .map(({ name, attempts, outcome }) => ({ name, attempts, outcome }));
      assert.deepEqual(activities, [
        { name: 'admitPatient', attempts: 3, outcome: 'completed' },
        { name: 'scheduleFollowUp', attempts: 1, outcome: 'completed' },
      ]);
      const timer = events.find((e) => e.timerStartedEventAttributes)?.timerStartedEventAttributes;
      const expectedTimerSeconds = followUpAfter === '3 days' ? 3 * 86_400 : 1;
      assert.equal(Number(timer?.startToFireTimeout?.seconds), expectedTimerSeconds);
      assert.ok(events.some((e) => e.timerFiredEventAttributes), 'the timer fired');

      // In workflow time the follow-up is booked a full timer after admission started.
      const started = events[0].eventTime!;
      const followUpAt = Date.parse(result.followUpAt);
      const startedMs = Number(started.seconds) * 1000 + Math.floor((started.nanos ?? 0) / 1e6);
      assert.ok(followUpAt - startedMs >= expectedTimerSeconds * 1000, `follow-up ${result.followUpAt} is after the timer`);

      const rows = await store.all<{ kind: string; ref: string }>(
        'SELECT kind, ref FROM care_events WHERE key LIKE ? ORDER BY created_at',
        [keysLike(workflowId)],
      );
      assert.deepEqual(rows, [
        { kind: 'admission', ref: result.admissionId },
        { kind: 'follow-up', ref: result.appointmentId },
      ]);
      console.log(`      (${followUpAfter} of workflow time took ${wallMs} ms of wall time)`);
    });
  });
}
