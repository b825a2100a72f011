/**
 * Draining a dead worker's sticky queue (src/worker/sticky-drain.ts), on a dev server with a real
 * worker process. The worker caches a run and is SIGKILLed; a signal then queues the run's next
 * workflow task on the dead worker's sticky queue, whose timeout (10 minutes) outlasts the test.
 * The drain finds the queue from the run's history, moves the task to the shared queue, and a new
 * worker finishes the run. The history shows the move (WorkflowTaskFailed, ResetStickyTaskQueue,
 * by the supervisor) and no timed-out task. The worker's held activity attempt is found the same
 * way (src/worker/unreported-attempts.ts): a pending activity, started, whose last worker is the
 * dead one.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { temporal as proto } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { firstFailure } from '../src/client/reset';
import { startDevServer, type TemporalHandle } from '../src/platform/servers';
import { DRAIN_IDENTITY, drainStickyQueue, findStickyQueue } from '../src/worker/sticky-drain';
import { attemptKey, findHeldAttempts } from '../src/worker/unreported-attempts';
import { WORKER_PROCESS_EXITED } from '../src/common/failure-types';
import { ApplicationFailure } from '@temporalio/common';
import { historyEvents, uniqueId, waitUntil } from './helpers';

const { EventType, PendingActivityState, TaskQueueKind, TaskQueueType, WorkflowTaskFailedCause } = proto.api.enums.v1;
const FIXTURE = path.join(__dirname, 'fixtures', 'sticky-worker');

describe('a dead worker process\'s work, found through the public API: its sticky queue and its held attempts', function () {
  this.timeout(90_000);
  let temporal: TemporalHandle;
  let child: ChildProcess | undefined;

  before(async function () {
    temporal = await startDevServer();
  });
  after(async function () {
    child?.kill('SIGKILL');
    await temporal?.close().catch((err) => console.error('server teardown failed:', err));
  });

  /** Starts the fixture's worker process, and resolves once it polls. */
  async function startDoomedWorker(taskQueue: string, identity: string): Promise<ChildProcess> {
    let output = '';
    child = spawn(process.execPath, ['--import', 'tsx', path.join(FIXTURE, 'worker.ts')], {
      env: { ...process.env, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace, TASK_QUEUE: taskQueue, WORKER_IDENTITY: identity },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const doomed = child;
    doomed.stdout!.on('data', (d) => (output += String(d)));
    doomed.stderr!.on('data', (d) => (output += String(d)));
    await waitUntil(() => {
      if (doomed.exitCode !== null) throw new Error(`the worker exited:\n${output}`);
      return output.includes('ready') || undefined;
    }, { timeoutMs: 60_000, what: 'the worker to poll' });
    return doomed;
  }

  async function kill(doomed: ChildProcess): Promise<void> {
    doomed.kill('SIGKILL');
    await new Promise((resolve) => doomed.once('exit', resolve));
  }

  /** A worker in this process that finishes what the dead one left. */
  function survivor(taskQueue: string): Promise<Worker> {
    return Worker.create({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue,
      workflowsPath: require.resolve(path.join(FIXTURE, 'workflows')),
      activities: { slowStep: async () => 'done by a survivor' },
    });
  }

  it('finds the dead worker\'s sticky queue, fails its task there with ResetStickyTaskQueue, and the run finishes elsewhere', async function () {
    const taskQueue = uniqueId('sticky-drain');
    const identity = uniqueId('doomed-worker');
    const doomed = await startDoomedWorker(taskQueue, identity);
    const handle = await temporal.client.workflow.start('waitForTwoNudges', { taskQueue, workflowId: uniqueId('sticky-run') });
    const execution = { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
    const completedTasks = async (run = handle) => (await historyEvents(run)).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length;
    await waitUntil(async () => (await completedTasks()) >= 1 || undefined, { timeoutMs: 30_000, what: 'the worker to take the run' });
    // The run is in the worker's cache: the first signal's task goes to the worker's sticky queue.
    await handle.signal('nudge');
    await waitUntil(async () => (await completedTasks()) >= 2 || undefined, { timeoutMs: 30_000, what: 'the worker to handle the first signal' });

    // While the worker lives, the history names its sticky queue (as the supervisor learns it).
    const queue = await waitUntil(() => findStickyQueue(temporal.client, identity, [execution]), { timeoutMs: 10_000, what: 'a history to name the sticky queue' });
    assert.ok(queue.name.startsWith(`${identity}-`), `the sticky queue ${queue.name} is the worker's`);
    assert.equal(queue.normalName, taskQueue);
    assert.equal(await findStickyQueue(temporal.client, 'another-worker', [execution]), undefined, 'another worker\'s identity finds no queue');
    // The server hands a task to a sticky queue only if its worker polled it lately.
    await waitUntil(
      async () => {
        const d = await temporal.client.workflowService.describeTaskQueue({
          namespace: temporal.namespace,
          taskQueue: { name: queue.name, kind: TaskQueueKind.TASK_QUEUE_KIND_STICKY, normalName: taskQueue },
          taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        });
        return (d.pollers ?? []).some((p) => p.identity === identity) || undefined;
      },
      { timeoutMs: 10_000, what: 'the worker to poll its sticky queue' },
    );

    // Until the server notices that the worker's connection closed, it can still hand the worker's
    // sticky polls a task, which then waits out the workflow task timeout (2 of 12 kills followed at
    // once by a signal, on a loaded machine: the supervisor's fallback, not the drain's case). So
    // canary runs the worker cached take the dead polls' places first. After the kill each canary in
    // turn is nudged, and the drain polls beside any dead poll: a canary task that a dead poll took is
    // started by the worker (the next canary goes), and the first one that reaches the drain shows no
    // dead poll was left waiting. Only then is the run under test nudged.
    const canaries = await Promise.all(
      [1, 2, 3, 4].map(() => temporal.client.workflow.start('waitForTwoNudges', { taskQueue, workflowId: uniqueId('sticky-canary') })),
    );
    for (const canary of canaries) {
      await waitUntil(async () => (await completedTasks(canary)) >= 1 || undefined, { timeoutMs: 30_000, what: 'the worker to take a canary run' });
    }
    await kill(doomed);
    const deadPollsTook: string[] = [];
    for (const canary of canaries) {
      await canary.signal('nudge');
      // The drain's own errors are returned, not thrown: waitUntil would retry past them.
      const outcome = await waitUntil(
        async () => {
          const drained = await drainStickyQueue(temporal.client, queue, Promise.resolve());
          if (drained.bounced > 0 || drained.errors.length > 0) return drained;
          const started = (await historyEvents(canary)).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
          return (started.length >= 2 && started.at(-1)?.workflowTaskStartedEventAttributes?.identity === identity && 'taken') || undefined;
        },
        { timeoutMs: 20_000, what: 'a canary\'s task to reach the drain or a dead poll' },
      );
      if (outcome !== 'taken') {
        assert.deepEqual(outcome.errors, []);
        break;
      }
      deadPollsTook.push(canary.workflowId);
    }
    assert.ok(deadPollsTook.length < canaries.length, `every canary's task went to a poll of the dead worker (${deadPollsTook.join(', ')})`);
    await handle.signal('nudge');
    const queued = (await historyEvents(handle)).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED).at(-1);
    assert.equal(queued?.workflowTaskScheduledEventAttributes?.taskQueue?.name, queue.name, 'the second signal\'s task is queued on the dead worker\'s sticky queue');
    assert.deepEqual(await findStickyQueue(temporal.client, identity, [execution]), queue, 'after the death the history names the same queue');

    const drained = await drainStickyQueue(temporal.client, queue, Promise.resolve());
    assert.deepEqual(drained, { bounced: 1, errors: [] });

    const result = await (await survivor(taskQueue)).runUntil(handle.result());
    assert.equal(result, 'nudged twice');

    const events = await historyEvents(handle);
    const failed = events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    assert.equal(failed.length, 1);
    assert.equal(failed[0].workflowTaskFailedEventAttributes?.cause, WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_STICKY_TASK_QUEUE);
    assert.equal(failed[0].workflowTaskFailedEventAttributes?.identity, DRAIN_IDENTITY);
    assert.equal(firstFailure(events), undefined, 'the move is not a failure of the run (reset --to last-good ignores it)');
    assert.equal(events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT).length, 0, 'no task waited out a timeout');
    const rescheduled = events.slice(events.indexOf(failed[0])).find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
    assert.equal(rescheduled?.workflowTaskScheduledEventAttributes?.taskQueue?.kind, TaskQueueKind.TASK_QUEUE_KIND_NORMAL, 'the next task went to the shared queue');
  });

  it('finds an activity attempt the dead worker held but never reported, by its identity; failed by id, it is retried elsewhere', async function () {
    const taskQueue = uniqueId('held-attempt');
    const identity = uniqueId('doomed-worker');
    const doomed = await startDoomedWorker(taskQueue, identity);
    const handle = await temporal.client.workflow.start('oneSlowStep', { taskQueue, workflowId: uniqueId('held-run') });
    const execution = { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
    await waitUntil(async () => {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      return pending.some((a) => a.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED && a.lastWorkerIdentity === identity) || undefined;
    }, { timeoutMs: 30_000, what: 'the doomed worker to take the attempt' });
    await kill(doomed);

    assert.deepEqual(await findHeldAttempts(temporal.client, 'another-worker', [execution], new Set()), { attempts: [], errors: [] });
    const activityId = '1';
    assert.deepEqual(await findHeldAttempts(temporal.client, identity, [execution], new Set([attemptKey(execution.workflowId, execution.runId, activityId)])), {
      attempts: [],
      errors: [],
    }, 'an attempt the supervisor knows by its token is left to that path');
    const held = await findHeldAttempts(temporal.client, identity, [execution], new Set());
    assert.deepEqual(held, { attempts: [{ ...execution, activityId, activityType: 'slowStep' }], errors: [] });

    // As the supervisor does: the run's next workflow task must not go to the dead worker's sticky queue.
    await temporal.client.workflowService.resetStickyTaskQueue({ namespace: temporal.namespace, execution });
    await temporal.client.activity.fail({ ...execution, activityId }, ApplicationFailure.create({ type: WORKER_PROCESS_EXITED, message: 'the test failed it', nextRetryDelay: '1 millisecond' }));
    assert.equal(await (await survivor(taskQueue)).runUntil(handle.result()), 'done by a survivor');
    const started = (await historyEvents(handle)).find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED);
    assert.equal(started?.activityTaskStartedEventAttributes?.attempt, 2, 'the survivor ran attempt 2');
    assert.equal(started?.activityTaskStartedEventAttributes?.lastFailure?.applicationFailureInfo?.type, WORKER_PROCESS_EXITED);
  });

  it('returns after one empty poll when nothing is queued', async function () {
    const drained = await drainStickyQueue(temporal.client, { name: uniqueId('nobody-sticky'), normalName: uniqueId('nobody') }, Promise.resolve());
    assert.deepEqual(drained, { bounced: 0, errors: [] });
  });
});
