/**
 * `productionBatch` on the time-skipping test server with an in-process worker: stages, the
 * quality-check → rework loop, scrapping, continue-as-new with carried state, compensation of the
 * material reservation on failure and on cancellation, and bad input. (Crash recovery with real
 * process kills is in crash-recovery.test.ts.)
 */
import assert from 'node:assert/strict';
import { WorkflowFailedError, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { SimulatedFaultType } from '../src/activity/fault-injection';
import type { Worker } from '@temporalio/worker';
import { plantDefects } from '../activities/production';
import type { EffectStore } from '../src/activity/store';
import { startTimeSkippingServer, type TemporalHandle } from '../src/platform/servers';
import { referenceWorker } from './reference-worker';
import { STEADFAST_FAILOVER, workflowStartOptions } from '../src/common/failover';
import { msToNumber } from '@temporalio/common/lib/time';
import { productionBatch } from '../workflows';
import { SAGA_COMPENSATION_FAILED } from '../src/common/failure-types';
import { FAULT_PLAN_MEMO_KEY, type FaultPlan } from '../src/common/fault-plan';
import { INVALID_PRODUCTION_INPUT, type ProductionBatchInput } from '../workflows/production-batch';
import { historyEvents, keyOf, tempSqliteStore, uniqueId, waitUntil } from './helpers';
import { productionEffects, stageChunks } from './production-store';

describe('productionBatch on the time-skipping test server', function () {
  let temporal: TemporalHandle;
  let store: EffectStore;
  let cleanupStore: () => Promise<void>;
  let worker: Worker;
  let running: Promise<void>;
  let taskQueue: string;

  before(async function () {
    temporal = await startTimeSkippingServer();
    ({ store, cleanup: cleanupStore } = await tempSqliteStore());
    taskQueue = uniqueId('production-tq');
    worker = await referenceWorker({ connection: temporal.nativeConnection, namespace: temporal.namespace, taskQueue, store });
    running = worker.run();
  });

  after(async function () {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running?.catch((err) => console.error('worker failed:', err));
    await temporal?.close().catch((err) => console.error('server teardown failed:', err));
    await cleanupStore?.();
  });

  function line(overrides: Partial<ProductionBatchInput> = {}): ProductionBatchInput {
    return {
      lineId: uniqueId('line'),
      product: 'gearbox',
      batches: 1,
      unitsPerBatch: 10,
      stages: ['machining', 'assembly'],
      maxReworks: 2,
      unitMs: 1,
      chunkUnits: 5,
      ...overrides,
    };
  }

  async function start(input: ProductionBatchInput, faults?: FaultPlan): Promise<WorkflowHandleWithFirstExecutionRunId<typeof productionBatch>> {
    return temporal.client.workflow.start(productionBatch, {
      taskQueue,
      workflowId: `production-${input.lineId}`,
      args: [input],
      ...workflowStartOptions(),
      ...(faults ? { memo: { [FAULT_PLAN_MEMO_KEY]: faults } } : {}),
    });
  }

  it('produces every batch, routes a failed quality check to rework, and continues as new every 2 batches', async function () {
    const input = line({ batches: 3, batchesPerRun: 2 });
    await plantDefects(store, { lineId: input.lineId, batch: 2, units: 3 });
    const handle = await start(input, { reserveMaterials: { kind: 'transient', times: 1 } });
    const result = await handle.result();
    assert.deepEqual(result, {
      lineId: input.lineId,
      batches: 3,
      completed: 3,
      scrapped: 0,
      reworks: 1,
      unitsProduced: 30,
      runs: 2,
    });

    // The first run ended by continuing as new after batch 2, carrying the tally.
    const firstRun = temporal.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId);
    const firstEvents = await historyEvents(firstRun);
    const continued = firstEvents.at(-1)?.workflowExecutionContinuedAsNewEventAttributes;
    assert.ok(continued, 'the first run continued as new');
    const lastEvents = await historyEvents(temporal.client.workflow.getHandle(handle.workflowId));
    assert.ok(lastEvents.at(-1)?.workflowExecutionCompletedEventAttributes, 'the last run completed');
    // The fault plan in the memo went on with the line: batch 3's reservation (second run) failed once too.
    const lastRun = await handle.describe();
    assert.deepEqual(lastRun.memo, { [FAULT_PLAN_MEMO_KEY]: { reserveMaterials: { kind: 'transient', times: 1 } } });
    // So did the workflow task timeout of the failover settings.
    assert.equal(Number(lastRun.raw.executionConfig?.defaultWorkflowTaskTimeout?.seconds) * 1000, msToNumber(STEADFAST_FAILOVER.workflowTaskTimeout));
    const reservations = lastEvents.filter((e) => e.activityTaskStartedEventAttributes?.attempt === 2);
    assert.equal(reservations.length, 1, 'the second run retried its reservation once');

    const wf = handle.workflowId;
    const effects = await productionEffects(store, wf);
    assert.deepEqual(
      effects.map((e) => [e.step, e.kind]),
      [
        ['batch-1/reserve', 'reserve'],
        ['batch-1/inspect-1', 'inspection'],
        ['batch-1/record', 'batch-completed'],
        ['batch-2/reserve', 'reserve'],
        ['batch-2/inspect-1', 'inspection'],
        ['batch-2/rework-1/repair', 'repair'],
        ['batch-2/inspect-2', 'inspection'],
        ['batch-2/record', 'batch-completed'],
        ['batch-3/reserve', 'reserve'],
        ['batch-3/inspect-1', 'inspection'],
        ['batch-3/record', 'batch-completed'],
      ],
    );
    assert.deepEqual(JSON.parse(effects[4].detail), { defects: 3 });
    assert.deepEqual(JSON.parse(effects[6].detail), { defects: 0 });
    // Every stage of every batch processed all its units, once, in chunks of 5; the rework pass
    // processed the 3 defective units.
    for (const batch of [1, 2, 3]) {
      for (const stage of ['machining', 'assembly']) {
        assert.deepEqual(await stageChunks(store, await keyOf(handle, `batch-${batch}/stage-${stage}`)), [
          [0, 5],
          [5, 10],
        ]);
      }
    }
    assert.deepEqual(await stageChunks(store, await keyOf(handle, 'batch-2/rework-1')), [[0, 3]]);
  });

  it('scraps a batch whose defects survive maxReworks rework passes', async function () {
    const input = line({ maxReworks: 2 });
    await plantDefects(store, { lineId: input.lineId, batch: 1, units: 4, reworkPasses: 5 });
    const result = await (await start(input)).result();
    assert.equal(result.scrapped, 1);
    assert.equal(result.completed, 0);
    assert.equal(result.reworks, 2);
    const kinds = (await productionEffects(store, `production-${input.lineId}`)).map((e) => e.step);
    assert.deepEqual(kinds, [
      'batch-1/reserve',
      'batch-1/inspect-1',
      'batch-1/rework-1/repair',
      'batch-1/inspect-2',
      'batch-1/rework-2/repair',
      'batch-1/inspect-3',
      'batch-1/record',
    ]);
  });

  it('releases the batch reservation when a stage fails for good, and reports the original failure', async function () {
    const input = line();
    const handle = await start(input, { runStage: { kind: 'permanent' } });
    const err = await handle.result().then(
      () => assert.fail('the run should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ActivityFailure, `activity failure, got ${err}`);
    assert.equal(err.cause.activityType, 'runStage');
    assert.ok(err.cause.cause instanceof ApplicationFailure);
    assert.equal(err.cause.cause.type, SimulatedFaultType.permanent);
    const effects = await productionEffects(store, handle.workflowId);
    assert.deepEqual(
      effects.map((e) => [e.step, e.kind, JSON.parse(e.detail).released]),
      [
        ['batch-1/reserve', 'reserve', undefined],
        ['batch-1/release', 'release', true],
      ],
    );
  });

  it('a release that fails for good is reported together with the original failure', async function () {
    const handle = await start(line(), { runStage: { kind: 'permanent' }, releaseMaterials: { kind: 'permanent' } });
    const err = await handle.result().then(
      () => assert.fail('the run should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure, `saga failure, got ${err}`);
    assert.equal(err.cause.type, SAGA_COMPENSATION_FAILED);
    assert.match(err.cause.message, /releaseMaterials \(undoing reserve-materials\)/);
    // Its cause is the original failure: the stage that failed for good.
    assert.ok(err.cause.cause instanceof ActivityFailure);
    assert.equal(err.cause.cause.activityType, 'runStage');
    const [details] = err.cause.details as [{ compensations: Array<{ activity: string; status: string }> }];
    assert.deepEqual(details.compensations.map((c) => [c.activity, c.status]), [['releaseMaterials', 'failed']]);
    // The reservation is still held, and nothing claims it was released.
    const effects = await productionEffects(store, handle.workflowId);
    assert.deepEqual(effects.map((e) => [e.step, e.kind]), [['batch-1/reserve', 'reserve']]);
  });

  it('a release whose reservation never happened records that nothing was released', async function () {
    const handle = await start(line(), { reserveMaterials: { kind: 'permanent' } });
    await assert.rejects(handle.result(), WorkflowFailedError);
    const effects = await productionEffects(store, handle.workflowId);
    assert.deepEqual(
      effects.map((e) => [e.step, e.kind, JSON.parse(e.detail).released]),
      [['batch-1/release', 'release', false]],
    );
  });

  it('on cancellation stops the running stage at a chunk boundary, then releases the reservation', async function () {
    const input = line({ unitsPerBatch: 200, unitMs: 20, chunkUnits: 5 });
    const handle = await start(input);
    const stageKey = await keyOf(handle, 'batch-1/stage-machining');
    await waitUntil(async () => (await stageChunks(store, stageKey)).length >= 2, { what: 'two chunks of the first stage' });
    await handle.cancel();
    const err = await handle.result().then(
      () => assert.fail('the run should be cancelled'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure, `cancelled, got ${err}`);
    const chunks = await stageChunks(store, stageKey);
    assert.ok(chunks.at(-1)![1] < 200, 'the stage stopped before its end');
    const effects = await productionEffects(store, handle.workflowId);
    assert.deepEqual(
      effects.map((e) => e.step),
      ['batch-1/reserve', 'batch-1/release'],
    );
    // WAIT_CANCELLATION_COMPLETED: the release came after the stage's last chunk.
    const lastChunk = await store.get<{ created_at: string }>(
      'SELECT MAX(created_at) AS created_at FROM production_units WHERE stage_key = ?',
      [stageKey],
    );
    assert.ok(effects[1].created_at >= lastChunk!.created_at, 'release after the last chunk');
  });

  it('rejects bad input naming the field, before any effect', async function () {
    const input = line({ batches: 0, stages: [] });
    const handle = await start(input);
    const err = await handle.result().then(
      () => assert.fail('the run should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, INVALID_PRODUCTION_INPUT);
    assert.equal(err.cause.nonRetryable, true);
    assert.match(err.cause.message, /batches: .*>0/);
    assert.match(err.cause.message, /stages: .*>=1 items/);
    assert.deepEqual(await productionEffects(store, handle.workflowId), []);
  });
});
