/**
 * Crash recovery with real processes: two worker processes (`workers/main.ts`) serve a
 * `productionBatch` run on the dev server; one is SIGKILLed at a chosen moment (a crash point, see
 * workers/crash-points.ts) and the other finishes the run. Every effect lands exactly once, and a
 * heartbeating stage resumes from its last checkpoint.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { StageCheckpoint } from '../activities/production';
import { arm, type CrashPoint } from '../src/worker/crash-points';
import { workflowStartOptions } from '../src/common/failover';
import { productionBatch } from '../workflows';
import type { ProductionBatchInput } from '../workflows/production-batch';
import { historyEvents, keyOf, uniqueId, waitUntil } from './helpers';
import { productionEffects, productionLine, repeatedEffects, stageAttempts, stageChunks } from './production-store';
import { firstMarker, WorkerProcess } from 'steadfast/testing';
import { openCrashHarness, type CrashHarness } from './crash-harness';

describe('crash recovery with real worker processes on the dev server', function () {
  let h: CrashHarness;

  before(async function () {
    h = await openCrashHarness('crash');
  });

  afterEach(async function () {
    await WorkerProcess.killAll();
  });

  after(async function () {
    await h?.close();
  });

  /** Two worker processes on a fresh task queue, sharing a fresh crash-point directory; `armed` is armed first. */
  async function twoWorkers(armed?: [CrashPoint, string]) {
    const taskQueue = uniqueId('crash-tq');
    const crashPointsDir = fs.mkdtempSync(path.join(h.scratch, 'points-'));
    if (armed) arm(crashPointsDir, ...armed);
    const workers = ['a', 'b'].map((name) => h.spawn(taskQueue, name, { crashPointsDir }));
    await Promise.all(workers.map((w) => w.ready));
    return { taskQueue, workers };
  }

  function startLine(taskQueue: string, overrides: Partial<ProductionBatchInput> = {}) {
    const lineId = uniqueId('line');
    return h.temporal.client.workflow.start(productionBatch, {
      taskQueue,
      workflowId: `production-${lineId}`,
      args: [productionLine(lineId, overrides)],
      ...workflowStartOptions(),
    });
  }

  /** Kills the worker named by `identity` with SIGKILL and waits until it is gone; returns the survivor. */
  async function kill(workers: WorkerProcess[], identity: string): Promise<WorkerProcess> {
    const victim = workers.find((w) => w.identity === identity);
    assert.ok(victim, `a worker with identity ${identity}`);
    victim.kill('SIGKILL');
    assert.deepEqual(await victim.exited, { code: null, signal: 'SIGKILL' });
    return workers.find((w) => w !== victim)!;
  }

  /** Identities of the workers that started each attempt of the activities whose key ends with `step`. */
  async function startedBy(handle: WorkflowHandle, step: string) {
    const events = await historyEvents(handle);
    const scheduled = new Set(
      events
        .filter((e) => {
          const input = e.activityTaskScheduledEventAttributes?.input?.payloads?.[0];
          const req = input ? defaultPayloadConverter.fromPayload<{ key?: string }>(input) : undefined;
          return req?.key?.endsWith(step);
        })
        .map((e) => String(e.eventId)),
    );
    return {
      scheduled: scheduled.size,
      started: events
        .filter((e) => scheduled.has(String(e.activityTaskStartedEventAttributes?.scheduledEventId)))
        .map((e) => ({ attempt: e.activityTaskStartedEventAttributes!.attempt, identity: e.activityTaskStartedEventAttributes!.identity })),
      events,
    };
  }

  async function assertWholeRun(handle: WorkflowHandle<typeof productionBatch>, units: number) {
    const result = await handle.result();
    assert.equal(result.completed, 1);
    const wf = handle.workflowId;
    assert.deepEqual(await repeatedEffects(h.store, wf), [], 'no effect applied twice');
    assert.deepEqual(
      (await productionEffects(h.store, wf)).map((e) => e.step),
      ['batch-1/reserve', 'batch-1/inspect-1', 'batch-1/record'],
    );
    for (const stage of ['machining', 'assembly']) {
      const chunks = await stageChunks(h.store, await keyOf(handle, `batch-1/stage-${stage}`));
      const expected = Array.from({ length: Math.ceil(units / 5) }, (_, i) => [i * 5, Math.min(units, i * 5 + 5)]);
      assert.deepEqual(chunks, expected, `every unit of ${stage} processed once`);
    }
  }

  it('a worker killed while a workflow task is in flight: the other worker takes the task over', async function () {
    const { taskQueue, workers } = await twoWorkers(['workflow-task', 'runStage']);
    const handle = await startLine(taskQueue);
    const held = await firstMarker(workers, (m) => m.held && m.workflowId === handle.workflowId);
    assert.equal(held.point, 'workflow-task');
    const survivor = await kill(workers, held.identity);

    await assertWholeRun(handle, 10);
    const machining = await startedBy(handle, '/batch-1/stage-machining');
    // The held task's command never reached the server: the stage was scheduled once, by the survivor's retry of the task.
    assert.equal(machining.scheduled, 1);
    assert.deepEqual(machining.started, [{ attempt: 1, identity: survivor.identity }]);
    const timedOut = machining.events.filter((e) => e.workflowTaskTimedOutEventAttributes);
    assert.equal(timedOut.length, 1, 'one workflow task timed out: the one the killed worker held');
  });

  it('a worker killed after an effect committed but before it reported: the retry returns the recorded result', async function () {
    const { taskQueue, workers } = await twoWorkers(['after-effect', 'reserveMaterials']);
    const handle = await startLine(taskQueue);
    const held = await firstMarker(workers, (m) => m.held && m.workflowId === handle.workflowId);
    assert.equal(held.activityType, 'reserveMaterials');
    // The effect is in the store before the kill.
    const [reserved] = await productionEffects(h.store, handle.workflowId);
    assert.deepEqual([reserved?.step, reserved?.attempt], ['batch-1/reserve', 1]);
    const survivor = await kill(workers, held.identity);

    await assertWholeRun(handle, 10);
    const reserve = await startedBy(handle, '/batch-1/reserve');
    // The history keeps only the attempt that completed: the second, on the survivor.
    assert.deepEqual(reserve.started, [{ attempt: 2, identity: survivor.identity }]);
    const effects = await productionEffects(h.store, handle.workflowId);
    assert.deepEqual(effects[0], reserved, 'the reservation is still the one attempt 1 made');
  });

  it('a worker killed in the middle of a heartbeating stage: the retry resumes from the last checkpoint', async function () {
    const units = 60;
    const { taskQueue, workers } = await twoWorkers();
    const handle = await startLine(taskQueue, { unitsPerBatch: units, unitMs: 40 });
    // Wait until the server holds a checkpoint of at least 15 units for the first stage.
    const pending = await waitUntil(
      async () => {
        const desc = await handle.describe();
        const activity = desc.raw.pendingActivities?.find((a) => a.activityType?.name === 'runStage');
        const details = activity?.heartbeatDetails?.payloads?.[0];
        const checkpoint = details ? defaultPayloadConverter.fromPayload<StageCheckpoint>(details) : undefined;
        return checkpoint && checkpoint.unitsDone >= 15 ? { identity: activity!.lastWorkerIdentity!, checkpoint } : undefined;
      },
      { what: 'a checkpoint of 15 units', intervalMs: 50 },
    );
    // Mid-way: the checkpoint the server holds is below the stage's total when the worker dies.
    assert.ok(pending.checkpoint.unitsDone < units, `the stage was mid-way at the kill: ${JSON.stringify(pending.checkpoint)}`);
    const survivor = await kill(workers, pending.identity);

    await assertWholeRun(handle, units);
    const machining = await startedBy(handle, '/batch-1/stage-machining');
    assert.deepEqual(machining.started, [{ attempt: 2, identity: survivor.identity }], 'the retry ran on the survivor');
    const attempts = await stageAttempts(h.store, await keyOf(handle, 'batch-1/stage-machining'));
    assert.equal(attempts.length, 2, `two attempts: ${JSON.stringify(attempts)}`);
    const [first, second] = attempts;
    assert.equal(first.units_from, 0);
    assert.ok(first.units_to >= pending.checkpoint.unitsDone, 'the first attempt got at least as far as its checkpoint');
    assert.ok(
      second.units_from >= pending.checkpoint.unitsDone && second.units_from > 0,
      `the retry resumed from the checkpoint (${pending.checkpoint.unitsDone}), not from 0: ${JSON.stringify(second)}`,
    );
    assert.ok(second.units_from <= first.units_to, 'never past what the first attempt committed');
    assert.equal(second.units_to, units);
  });
});
