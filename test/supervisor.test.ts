/**
 * Supervised workers with real processes: `steadfast worker --processes 2` on a dev server. The
 * worker process running a long, checkpointed stage is SIGKILLed; its supervisor fails the attempt
 * at once through the async-completion API, and the retry runs on the other worker process. The
 * history shows attempt 2 on the other worker, with the supervisor's failure as the last failure;
 * the store holds every chunk of the stage once.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { temporal as proto } from '@temporalio/proto';
import { productionBatch } from '../workflows';
import { workflowStartOptions } from '../src/common/failover';
import { CRASH_POINT_MARKER, type CrashPointMarker } from '../src/worker/crash-points';
import { portsOfSlot, WORKER_PROCESS_EXITED } from '../src/worker/supervisor';
import { startDevServer, type TemporalHandle } from '../src/platform/servers';
import { historyEvents, keysLike, tempSqliteStore, uniqueId, waitUntil } from './helpers';
import { spawnCli, type CliProcess } from './cli-process';

const { EVENT_TYPE_ACTIVITY_TASK_STARTED, EVENT_TYPE_ACTIVITY_TASK_SCHEDULED } = proto.api.enums.v1.EventType;

describe('steadfast worker --processes 2: a killed worker process fails over through its supervisor', function () {
  this.timeout(90_000);
  let temporal: TemporalHandle;
  let temp: Awaited<ReturnType<typeof tempSqliteStore>>;
  let cli: CliProcess | undefined;
  let crashDir: string;

  before(async function () {
    [temporal, temp] = await Promise.all([startDevServer(), tempSqliteStore()]);
    crashDir = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-supervisor-test-'));
  });
  after(async function () {
    await cli?.stop('SIGKILL');
    await temp?.cleanup();
    await temporal?.close().catch((err) => console.error('server teardown failed:', err));
    fs.rmSync(crashDir, { recursive: true, force: true });
  });

  it('retries the long stage on the other worker process at once, and applies each chunk once', async function () {
    const taskQueue = uniqueId('supervised-line');
    cli = spawnCli(['worker', '--processes', '2'], {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      STEADFAST_TASK_QUEUE: taskQueue,
      STEADFAST_STORE: `sqlite:${temp.file}`,
      STEADFAST_FAULT_INJECTION: '1',
      // Crash points only to learn which process runs the stage (their markers), none is armed.
      STEADFAST_CRASH_POINTS_DIR: crashDir,
      STEADFAST_LOG_LEVEL: 'ERROR',
    });
    const running = cli;
    const readyEvents = await waitUntil(() => {
      if (running.child.exitCode !== null) throw new Error(`the supervisor exited:\n${running.output()}`);
      const ready = running.events.filter((e) => e.event === 'ready');
      return ready.length >= 2 ? ready : undefined;
    }, { timeoutMs: 75_000, what: 'both worker processes to poll' });
    const identities = new Map(readyEvents.map((e) => [Number(e.pid), String(e.identity)]));

    const lineId = uniqueId('line-7');
    const workflowId = `production-${lineId}`;
    const handle = await temporal.client.workflow.start(productionBatch, {
      taskQueue,
      workflowId,
      // One stage of 40 units in chunks of 5, 250 ms a unit: long enough to be killed mid-stage.
      args: [{ lineId, product: 'valve body', batches: 1, unitsPerBatch: 40, stages: ['mill'], unitMs: 250, chunkUnits: 5 }],
      ...workflowStartOptions(),
    });

    // The stage's first attempt starts in one of the two processes; kill that one after its first chunk.
    const markers = (): CrashPointMarker[] =>
      running
        .output()
        .split('\n')
        .filter((l) => l.startsWith(CRASH_POINT_MARKER))
        .map((l) => JSON.parse(l.slice(CRASH_POINT_MARKER.length)) as CrashPointMarker);
    const started = await waitUntil(
      () => markers().find((m) => m.point === 'activity-start' && m.activityType === 'runStage' && m.workflowId === workflowId),
      { timeoutMs: 30_000, what: 'the stage to start' },
    );
    const stageKey = started.key!;
    await waitUntil(() => temp.store.get('SELECT 1 FROM production_units WHERE stage_key = ?', [stageKey]), {
      timeoutMs: 30_000,
      what: 'the first chunk of the stage',
    });
    const victim = identities.get(started.pid);
    assert.ok(victim, `the stage ran in pid ${started.pid}, not one of the supervised workers ${[...identities.keys()].join(', ')}`);
    const survivor = [...identities.values()].find((id) => id !== victim)!;
    process.kill(started.pid, 'SIGKILL');

    const result = await handle.result();
    assert.equal(result.completed, 1);

    const recovered = running.events.find((e) => e.event === 'recovered' && e.pid === started.pid);
    assert.ok(recovered, `no recovery reported for pid ${started.pid}:\n${running.output()}`);
    assert.equal(recovered.failed, 1);

    // The history: the stage's last attempt is attempt 2, on the other worker process, and its last
    // failure is the one the supervisor reported for the killed attempt.
    const events = await historyEvents(handle);
    const stageScheduled = events.find(
      (e) => e.eventType === EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && e.activityTaskScheduledEventAttributes?.activityType?.name === 'runStage',
    );
    const stageStarted = events.find(
      (e) =>
        e.eventType === EVENT_TYPE_ACTIVITY_TASK_STARTED &&
        String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(stageScheduled?.eventId),
    )?.activityTaskStartedEventAttributes;
    assert.ok(stageStarted, 'the stage has no started event');
    assert.equal(stageStarted.attempt, 2);
    assert.equal(stageStarted.identity, survivor);
    assert.equal(stageStarted.lastFailure?.applicationFailureInfo?.type, WORKER_PROCESS_EXITED);
    assert.match(stageStarted.lastFailure?.message ?? '', new RegExp(`worker process ${victim} was killed by SIGKILL.*failed by its supervisor`));

    // Every chunk of the stage committed once, whichever attempt did it; the reservation once.
    const chunks = await temp.store.all<{ key: string; n: number }>(
      'SELECT key, COUNT(*) AS n FROM production_units WHERE stage_key = ? GROUP BY key ORDER BY key',
      [stageKey],
    );
    assert.equal(chunks.length, 8);
    assert.ok(chunks.every((c) => Number(c.n) === 1), JSON.stringify(chunks));
    const reservations = await temp.store.all('SELECT attempt FROM production_events WHERE key LIKE ?', [keysLike(workflowId, 'batch-1/reserve')]);
    assert.equal(reservations.length, 1);

    // The supervisor replaces the dead process, and stops gracefully on SIGTERM.
    await waitUntil(() => running.events.filter((e) => e.event === 'ready').length >= 3, {
      timeoutMs: 60_000,
      what: 'the replacement worker process to poll',
    });
    assert.equal(await running.stop('SIGTERM'), 0);
    assert.deepEqual(running.stray, []);
  });
});

describe('supervisor: per-process ports', function () {
  it('gives each worker process its own metrics and health port, keeping the host; port 0 and other values pass as they are', function () {
    const env = { STEADFAST_METRICS_PORT: '9464', STEADFAST_HEALTH_PORT: '0.0.0.0:8080' };
    assert.deepEqual(portsOfSlot(env, 1), { STEADFAST_METRICS_PORT: '9464', STEADFAST_HEALTH_PORT: '0.0.0.0:8080' });
    assert.deepEqual(portsOfSlot(env, 3), { STEADFAST_METRICS_PORT: '9466', STEADFAST_HEALTH_PORT: '0.0.0.0:8082' });
    assert.deepEqual(portsOfSlot({ STEADFAST_HEALTH_PORT: '0', STEADFAST_METRICS_PORT: 'abc' }, 2), {});
    assert.deepEqual(portsOfSlot({}, 2), {});
  });
});
