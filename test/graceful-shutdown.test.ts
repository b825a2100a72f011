/**
 * Graceful shutdown of a real worker process (`workers/main.ts`) on SIGTERM: it stops taking work,
 * lets the in-flight activity finish within the grace time, and exits 0 with nothing half-done. A
 * stage longer than the grace time is cancelled at a chunk boundary, and the next worker resumes it
 * from its checkpoint.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { startHealthServer, type WorkerProbe } from '../src/worker/health';
import type { WorkerReady } from '../src/worker/run-worker';
import { WORKER_READY_MARKER } from '../workers/main';
import { workflowStartOptions } from '../src/common/failover';
import { productionBatch } from '../workflows';
import { historyEvents, keyOf, uniqueId, waitUntil } from './helpers';
import { repeatedEffects, stageAttempts, stageChunks } from './production-store';
import { WorkerProcess } from 'steadfast/testing';
import { openCrashHarness, spawnReferenceWorker, type CrashHarness } from './crash-harness';

describe('graceful shutdown of a worker process on SIGTERM', function () {
  let h: CrashHarness;

  before(async function () {
    h = await openCrashHarness('shutdown');
  });

  afterEach(async function () {
    await WorkerProcess.killAll();
  });

  after(async function () {
    await h?.close();
  });

  async function startLine(taskQueue: string, unitsPerBatch: number, unitMs: number) {
    const lineId = uniqueId('line');
    return h.temporal.client.workflow.start(productionBatch, {
      taskQueue,
      workflowId: `production-${lineId}`,
      args: [{ lineId, product: 'valve', batches: 1, unitsPerBatch, stages: ['machining', 'assembly'], unitMs, chunkUnits: 5 }],
      ...workflowStartOptions(),
    });
  }

  it('lets the in-flight stage finish, takes no new work, and exits 0', async function () {
    const taskQueue = uniqueId('shutdown-tq');
    const first = h.spawn(taskQueue, 'first');
    await first.ready;
    const handle = await startLine(taskQueue, 60, 50);
    const machiningKey = await keyOf(handle, 'batch-1/stage-machining');
    const assemblyKey = await keyOf(handle, 'batch-1/stage-assembly');
    await first.waitForMarker((m) => m.point === 'activity-start' && m.key === machiningKey);
    first.kill('SIGTERM');
    assert.deepEqual(await first.exited, { code: 0, signal: null }, `clean exit:\n${first.tail.join('\n')}`);

    // Nothing half-done: the stage's only attempt committed every unit before the process exited.
    assert.deepEqual(await stageAttempts(h.store, machiningKey), [{ attempt: 1, units_from: 0, units_to: 60 }]);
    assert.ok(
      first.markers.some((m) => m.point === 'after-effect' && m.key === machiningKey),
      'the stage returned its result before the process exited',
    );
    assert.ok(!first.markers.some((m) => m.key === assemblyKey), 'took no new work');

    const second = h.spawn(taskQueue, 'second');
    const result = await handle.result();
    assert.equal(result.completed, 1);
    assert.deepEqual(await repeatedEffects(h.store, handle.workflowId), []);
    const events = await historyEvents(handle);
    const started = events
      .filter((e) => e.activityTaskStartedEventAttributes)
      .map((e) => e.activityTaskStartedEventAttributes!.identity);
    // reserve and machining by the first worker; assembly, inspection and record by the second.
    assert.deepEqual(started, [first.identity, first.identity, second.identity, second.identity, second.identity]);
  });

  it('serves liveness and readiness on loopback; readiness turns 503 on SIGTERM while liveness holds through the drain', async function () {
    const taskQueue = uniqueId('shutdown-tq');
    const w = h.spawn(taskQueue, 'probed', { env: { STEADFAST_HEALTH_PORT: '0' } });
    await w.ready;
    // The worker's ready line (workers/main.ts) carries the address its health endpoint bound.
    const readyLine = await waitUntil(() => w.tail.find((l) => l.startsWith(WORKER_READY_MARKER)), { timeoutMs: 30_000, what: 'the ready line' });
    const bound = (JSON.parse(readyLine.slice(WORKER_READY_MARKER.length)) as WorkerReady).health;
    assert.match(bound ?? '', /^127\.0\.0\.1:\d+$/, `bound on loopback by default: ${bound}`);
    const probe = async (path: string) => {
      const res = await fetch(`http://${bound}${path}`);
      return { status: res.status, body: (await res.json()) as { status: string; state: string } };
    };
    assert.deepEqual(await probe('/healthz'), { status: 200, body: { status: 'ok', state: 'RUNNING' } });
    assert.deepEqual(await probe('/readyz'), { status: 200, body: { status: 'ok', state: 'RUNNING' } });

    const handle = await startLine(taskQueue, 60, 100); // a 6 s stage: long enough to probe its drain
    const machiningKey = await keyOf(handle, 'batch-1/stage-machining');
    await w.waitForMarker((m) => m.point === 'activity-start' && m.key === machiningKey);
    w.kill('SIGTERM');
    // While the stage finishes: not ready (takes no new work), still live (no probe may kill it).
    const draining = await waitUntil(
      async () => {
        const ready = await probe('/readyz');
        return ready.status === 503 ? ready : undefined;
      },
      { what: 'readiness to turn 503 after SIGTERM' },
    );
    assert.equal(draining.body.status, 'unavailable');
    const live = await probe('/healthz');
    assert.equal(live.status, 200, JSON.stringify(live));
    assert.ok(
      !w.markers.some((m) => m.point === 'after-effect' && m.key === machiningKey),
      'readiness turned 503 before the in-flight stage had finished',
    );
    assert.deepEqual(await w.exited, { code: 0, signal: null }, `clean exit:\n${w.tail.join('\n')}`);
    assert.ok(w.markers.some((m) => m.point === 'after-effect' && m.key === machiningKey), 'the stage finished in the drain');
    await assert.rejects(fetch(`http://${bound}/healthz`), 'the endpoint is closed once the process has exited');

    h.spawn(taskQueue, 'after-probed');
    assert.equal((await handle.result()).completed, 1);
  });

  it('cancels a stage that outlasts the grace time at a chunk boundary; the next worker resumes it', async function () {
    const taskQueue = uniqueId('shutdown-tq');
    const first = h.spawn(taskQueue, 'first', { env: { STEADFAST_SHUTDOWN_GRACE: '1s' } });
    await first.ready;
    const units = 80;
    const handle = await startLine(taskQueue, units, 100);
    const machiningKey = await keyOf(handle, 'batch-1/stage-machining');
    await waitUntil(async () => (await stageChunks(h.store, machiningKey)).length >= 2, { what: 'two committed chunks' });
    first.kill('SIGTERM');
    assert.deepEqual(await first.exited, { code: 0, signal: null }, `clean exit:\n${first.tail.join('\n')}`);

    const [cut] = await stageAttempts(h.store, machiningKey);
    assert.ok(cut.units_to > 0 && cut.units_to < units, `the first attempt stopped part-way: ${JSON.stringify(cut)}`);
    assert.equal(cut.units_to % 5, 0, 'at a chunk boundary');
    const committed = await stageChunks(h.store, machiningKey);
    assert.equal(committed.at(-1)![1], cut.units_to, 'every unit it reported is committed, and no more');

    const second = h.spawn(taskQueue, 'second');
    const result = await handle.result();
    assert.equal(result.completed, 1);
    // The stage's retry ran on the next worker, by its identity in the history.
    const events = await historyEvents(handle);
    const machining = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runStage');
    assert.ok(machining, 'the first stage was scheduled');
    const retry = events.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(machining.eventId));
    assert.ok(retry, 'the first stage started');
    assert.deepEqual([retry.activityTaskStartedEventAttributes!.attempt, retry.activityTaskStartedEventAttributes!.identity], [2, second.identity]);
    const attempts = await stageAttempts(h.store, machiningKey);
    assert.equal(attempts.length, 2, JSON.stringify(attempts));
    assert.ok(attempts[1].units_from > 0 && attempts[1].units_from <= cut.units_to, `resumed from the checkpoint: ${JSON.stringify(attempts)}`);
    assert.deepEqual(
      await stageChunks(h.store, machiningKey),
      Array.from({ length: units / 5 }, (_, i) => [i * 5, i * 5 + 5]),
      'every unit processed exactly once',
    );
    assert.deepEqual(await repeatedEffects(h.store, handle.workflowId), []);
  });
});

describe('worker process settings', function () {
  afterEach(async function () {
    await WorkerProcess.killAll();
  });

  for (const [variable, value, expected] of [
    ['STEADFAST_FAILOVER_PROFILE', 'fastest', /STEADFAST_FAILOVER_PROFILE must be one of steadfast, temporal-defaults; got "fastest"/],
    ['STEADFAST_SHUTDOWN_GRACE', 'soon', /STEADFAST_SHUTDOWN_GRACE must be a duration such as "20s" or "1500ms"; got "soon"/],
    ['STEADFAST_STICKY_TIMEOUT', '0s', /STEADFAST_STICKY_TIMEOUT must be a duration of at least 1 ms such as "20s" or "1500ms"; got "0s"/],
    ['STEADFAST_HEALTH_PORT', 'healthz', /STEADFAST_HEALTH_PORT must be a port \(0-65535\) or host:port, e.g. 9464 or 0.0.0.0:9464; got "healthz"/],
    ['STEADFAST_STORE', 'mysql://db', /STEADFAST_STORE must be "sqlite:<file>" or a "postgres:\/\/" URL/],
  ] as const) {
    it(`exits 2 naming ${variable} when it is invalid, before connecting`, async function () {
      const w = spawnReferenceWorker({
        // Never reached: the settings are checked first (and the worker never polls, so no client).
        temporal: { address: '127.0.0.1:1', namespace: 'default' },
        taskQueue: uniqueId('bad-settings'),
        storeUrl: 'sqlite::memory:',
        identity: uniqueId('worker-bad'),
        env: { [variable]: value },
      });
      assert.deepEqual(await w.exited, { code: 2, signal: null });
      assert.match(w.tail.join('\n'), expected);
    });
  }
});

describe('worker health endpoint (startHealthServer)', function () {
  it('answers each probe from the worker state, and nothing else', async function () {
    let current: WorkerProbe = { live: true, ready: false, state: 'STARTING' };
    const server = await startHealthServer('127.0.0.1:0', () => current);
    try {
      const base = `http://${server.address}`;
      const get = async (path: string, method = 'GET') => {
        const res = await fetch(`${base}${path}`, { method });
        return [res.status, await res.text()];
      };
      assert.deepEqual(await get('/healthz'), [200, '{"status":"ok","state":"STARTING"}\n']);
      assert.deepEqual(await get('/readyz'), [503, '{"status":"unavailable","state":"STARTING"}\n']);
      current = { live: true, ready: true, state: 'RUNNING' };
      assert.deepEqual(await get('/readyz?verbose=1'), [200, '{"status":"ok","state":"RUNNING"}\n']);
      assert.deepEqual(await get('/readyz', 'HEAD'), [200, '']);
      current = { live: false, ready: false, state: 'FAILED' };
      assert.deepEqual(await get('/healthz'), [503, '{"status":"unavailable","state":"FAILED"}\n']);
      assert.equal((await get('/metrics'))[0], 404);
      assert.equal((await get('/healthz', 'POST'))[0], 405);
    } finally {
      await server.close();
    }
  });

  it('names STEADFAST_HEALTH_PORT when the port is taken', async function () {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = taken.address() as net.AddressInfo;
      await assert.rejects(
        startHealthServer(`127.0.0.1:${port}`, () => ({ live: true, ready: true, state: 'RUNNING' })),
        new RegExp(`STEADFAST_HEALTH_PORT: cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE`),
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
