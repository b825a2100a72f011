/**
 * The production scenario of the demo: a batch runs on two worker processes of its own (with the
 * demo's encryption keys); the one working through a stage is SIGKILLed once the stage has a
 * checkpoint, and the other resumes the stage from that checkpoint (not from unit 0) after the
 * heartbeat timeout. The scenario counts as not as expected unless both happened.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeOptionalSinglePayload } from '@temporalio/common/lib/internal-non-workflow';
import type { WorkflowHandle } from '@temporalio/client';
import type { StageCheckpoint } from '../activities/production';
import type { EffectStore } from 'steadfast/activity';
import { runKeyOf, runKeysOf, workflowStartOptions } from 'steadfast/client';
import { WorkerProcess } from 'steadfast/testing';
import { workflowBundle } from 'steadfast/worker';
import project from '../steadfast.config';
import { productionBatch } from '../workflows';
import type { DemoScenario } from './demo';

const UNITS = 40;
const KILL_AT_UNITS = 15;

/** The production scenario; it owns its worker processes (see {@link DemoScenario.prepare}). */
export function productionScenario(): DemoScenario {
  let workers: WorkerProcess[] = [];
  let taskQueue = '';
  let scratch: string | undefined;
  let killed: { identity: string; pid: number; unitsDone: number } | undefined;

  return {
    title:
      `Production batch on two worker processes: the one running a stage is killed (SIGKILL) at a checkpoint of ` +
      `≥ ${KILL_AT_UNITS}/${UNITS} units; the other resumes the stage from that checkpoint`,

    async prepare({ temporal, storeUrl, baseTaskQueue, runTag, encryption }) {
      if (storeUrl.includes(':memory:')) throw new Error('the production scenario needs a store the worker processes can share (STEADFAST_STORE)');
      taskQueue = `${baseTaskQueue}-line-${runTag}`;
      scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-demo-'));
      const bundlePath = path.join(scratch, 'workflow-bundle.js');
      // The bundle this process already built for its own worker (failure messages encoded, so
      // that they are encrypted too): the processes skip bundling.
      const source = { workflowsPath: project.workflowsPath, bundlerOptions: project.bundlerOptions };
      fs.writeFileSync(bundlePath, (await workflowBundle(source, [], { encodeFailures: true })).code);
      // `steadfast worker` processes of this project, with the bundle prebuilt.
      workers = [1, 2].map((n) =>
        WorkerProcess.start({
          temporal,
          taskQueue,
          storeUrl,
          identity: `demo-line-worker-${n}-${runTag}`,
          bundlePath,
          faultInjection: false,
          readyTimeoutMs: 300_000,
          env: encryption.workerEnv,
        }),
      );
      await Promise.all(workers.map((w) => w.ready));
    },

    start: (temporal, _taskQueue, runTag) =>
      temporal.client.workflow.start(productionBatch, {
        taskQueue,
        workflowId: `production-line-${runTag}`,
        args: [{ lineId: `line-${runTag}`, product: 'gearbox', batches: 1, unitsPerBatch: UNITS, stages: ['machining', 'assembly'], unitMs: 50, chunkUnits: 5 }],
        ...workflowStartOptions(),
      }),

    async whileRunning(handle: WorkflowHandle) {
      for (let i = 0; i < 600 && !killed; i++) {
        const activity = (await handle.describe()).raw.pendingActivities?.find((a) => a.activityType?.name === 'runStage');
        // Heartbeat details are encrypted like every payload: decode them with the client's codec.
        const checkpoint = await decodeOptionalSinglePayload<StageCheckpoint>(
          handle.client.options.loadedDataConverter,
          activity?.heartbeatDetails?.payloads?.[0],
        );
        const victim = workers.find((w) => w.identity === activity?.lastWorkerIdentity);
        if (checkpoint && checkpoint.unitsDone >= KILL_AT_UNITS && victim) {
          victim.kill('SIGKILL');
          await victim.exited;
          killed = { identity: victim.identity, pid: victim.pid, unitsDone: checkpoint.unitsDone };
          console.log(`  killed ${victim.identity} (pid ${killed.pid}, SIGKILL) with the stage checkpointed at unit ${checkpoint.unitsDone}`);
        } else {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    },

    async after(store: EffectStore, _runTag: string, handle: WorkflowHandle) {
      const attempts = await store.all<{ attempt: number; units_from: number; units_to: number }>(
        'SELECT attempt, units_from, units_to FROM production_stage_progress WHERE stage_key = ? ORDER BY attempt',
        [runKeyOf(await runKeysOf(handle), 'batch-1/stage-machining')],
      );
      const line = `stage machining: ${attempts.map((a) => `attempt ${a.attempt} units ${a.units_from}→${a.units_to}`).join(', ')}`;
      if (!killed) throw new Error(`no worker was killed mid-stage; ${line}`);
      const resumedAt = attempts.at(-1)!.units_from;
      if (attempts.length < 2 || resumedAt === 0) throw new Error(`the stage did not resume from its checkpoint; ${line}`);
      return `${line} (resumed at unit ${resumedAt}, the checkpoint, not at 0)`;
    },

    async dispose() {
      await Promise.all(workers.map(async (w) => {
        w.kill('SIGKILL');
        await w.exited;
      }));
      if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
    },
  };
}
