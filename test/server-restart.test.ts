/**
 * Server restart: the dev server persists to a SQLite file; it is SIGKILLed while several
 * `productionBatch` runs are in the middle of their stages, then restarted on the same file and
 * port. The worker processes ride it out, every run completes, and nothing is lost or repeated.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import type { EffectStore } from '../src/activity/store';
import { freePort } from '../src/platform/servers';
import { workflowStartOptions } from '../src/common/failover';
import { productionBatch } from '../workflows';
import type { ProductionBatchInput } from '../workflows/production-batch';
import { DevServerProcess } from './dev-server-process';
import { historyEvents, keyOf, tempSqliteStore, uniqueId, waitUntil } from './helpers';
import { productionEffects, repeatedEffects, stageChunks } from './production-store';
import { WorkerProcess } from 'steadfast/testing';
import { spawnReferenceWorker, writeReferenceCrashPointBundle } from './crash-harness';

describe('dev server killed and restarted on its persisted SQLite file', function () {
  let scratch: string;
  let server: DevServerProcess | undefined;
  let store: EffectStore;
  let storeFile: string;
  let cleanupStore: () => Promise<void>;
  let connection: Connection | undefined;

  before(async function () {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-restart-'));
    ({ store, file: storeFile, cleanup: cleanupStore } = await tempSqliteStore());
  });

  after(async function () {
    await WorkerProcess.killAll();
    await connection?.close().catch((err) => console.error('closing the client failed:', err));
    await server?.kill().catch((err) => console.error('stopping the dev server failed:', err));
    await cleanupStore?.();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('completes every run with every effect exactly once', async function () {
    const dbFile = path.join(scratch, 'temporal.db');
    const port = await freePort();
    const [bundlePath] = await Promise.all([writeReferenceCrashPointBundle(scratch), (server = new DevServerProcess(dbFile, port)).ready()]);

    // The harness's own connection, made before the workers: it tells when they poll, and it
    // rides out the restart.
    connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    const taskQueue = uniqueId('restart-tq');
    const workers: WorkerProcess[] = ['a', 'b'].map((name) =>
      spawnReferenceWorker({
        temporal: { address: server!.address, namespace: 'default', client },
        taskQueue,
        storeUrl: `sqlite:${storeFile}`,
        identity: uniqueId(`worker-${name}`),
        bundlePath,
        crashPointsDir: fs.mkdtempSync(path.join(scratch, 'points-')),
      }),
    );
    await Promise.all(workers.map((w) => w.ready));

    const lines: ProductionBatchInput[] = ['north', 'south', 'east'].map((name) => ({
      lineId: uniqueId(`line-${name}`),
      product: 'bracket',
      batches: 2,
      batchesPerRun: 1,
      unitsPerBatch: 30,
      stages: ['cutting', 'welding'],
      unitMs: 50,
      chunkUnits: 5,
    }));
    const handles = await Promise.all(
      lines.map((input) =>
        client.workflow.start(productionBatch, {
          taskQueue,
          workflowId: `production-${input.lineId}`,
          args: [input],
          ...workflowStartOptions(),
        }),
      ),
    );

    // Kill the server while every line is inside its first stage: each has processed a chunk of it,
    // and none has processed all six (the checkpoints are below the total before the kill).
    const before = await waitUntil(
      async () => {
        const counts = await Promise.all(handles.map(async (h) => (await stageChunks(store, await keyOf(h, 'batch-1/stage-cutting'))).length));
        return counts.every((n) => n >= 1) ? counts : undefined;
      },
      { what: 'every line inside its first stage', intervalMs: 20 },
    );
    const killedAt = Date.now();
    assert.deepEqual(await server.kill('SIGKILL'), { code: null, signal: 'SIGKILL' });
    assert.ok(before.every((n) => n < 6), `every line was mid-stage before the kill: ${before.join(', ')} of 6 chunks`);
    const atKill = await Promise.all(handles.map((h) => productionEffects(store, h.workflowId)));
    assert.ok(
      atKill.every((effects) => !effects.some((e) => e.step === 'batch-2/record')),
      'no line had finished when the server died',
    );

    server = new DevServerProcess(dbFile, port);
    await server.ready();

    const results = await Promise.all(handles.map((h) => h.result()));
    for (const [i, result] of results.entries()) {
      assert.deepEqual(result, {
        lineId: lines[i].lineId,
        batches: 2,
        completed: 2,
        scrapped: 0,
        reworks: 0,
        unitsProduced: 60,
        runs: 2,
      });
    }
    for (const h of handles) {
      // The server recorded the first stage's completion only after the kill: the stage was open
      // on the server when it died, so the outage really interrupted it.
      const firstRun = client.workflow.getHandle(h.workflowId, h.firstExecutionRunId);
      const events = await historyEvents(firstRun);
      const cutting = events.find((e) => {
        const input = e.activityTaskScheduledEventAttributes?.input?.payloads?.[0];
        return input && defaultPayloadConverter.fromPayload<{ key?: string }>(input).key?.endsWith('/batch-1/stage-cutting');
      });
      assert.ok(cutting, 'the first stage was scheduled');
      const completed = events.find((e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === String(cutting.eventId));
      assert.ok(completed, 'the first stage completed');
      assert.ok(optionalTsToMs(completed.eventTime)! > killedAt, `${h.workflowId}: the first stage completed after the kill`);
      assert.deepEqual(await repeatedEffects(store, h.workflowId), [], 'no effect applied twice');
      assert.deepEqual(
        (await productionEffects(store, h.workflowId)).map((e) => e.step),
        ['batch-1/reserve', 'batch-1/inspect-1', 'batch-1/record', 'batch-2/reserve', 'batch-2/inspect-1', 'batch-2/record'],
      );
      for (const batch of [1, 2]) {
        for (const stage of ['cutting', 'welding']) {
          assert.deepEqual(
            await stageChunks(store, await keyOf(h, `batch-${batch}/stage-${stage}`)),
            Array.from({ length: 6 }, (_, i) => [i * 5, i * 5 + 5]),
            `every unit of batch ${batch} ${stage} processed exactly once`,
          );
        }
      }
    }
    assert.ok(
      workers.every((w) => w.running),
      `the worker processes rode out the outage:\n${workers.map((w) => w.tail.join('\n')).join('\n')}`,
    );
  });
});
