/**
 * `npm run record:histories [-- name…]`: runs the recorded scenarios (all, or those named) and
 * writes each history to `test/histories/<name>.json` (a run that continued as new writes one file
 * per run, `<name>-run<n>.json`), the format that `temporal workflow show --output json` writes and
 * the replay test reads.
 *
 * Ordinary scenarios run on the time-skipping server with an in-process worker. Crash scenarios
 * (`crash` set, see test/scenarios.ts) run on a dev server with worker processes: the recorder
 * arms the scenario's crash points, SIGKILLs the worker that holds at each one, starts a
 * replacement, and records the history of the run that recovered.
 *
 * Re-record only when a workflow change is intended and is not meant to be replay-compatible with
 * runs in flight; otherwise guard the change with `patched()` and keep the old histories.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { openStore, type EffectStore } from '../src/activity/store';
import { prepareStore } from '../activities';
import { installRuntime } from '../src/platform/runtime';
import { startDevServer, startTimeSkippingServer, type TemporalHandle } from '../src/platform/servers';
import { arm } from '../src/worker/crash-points';
import { referenceWorker } from './reference-worker';
import { scenarios, type Scenario } from './scenarios';
import { firstMarker, WorkerProcess } from 'steadfast/testing';
import { spawnReferenceWorker, writeReferenceCrashPointBundle } from './crash-harness';

export const HISTORIES_DIR = path.join(__dirname, 'histories');

/** The workflow id the recorder gives a scenario's run. */
export function recordedWorkflowId(scenarioName: string): string {
  return `recorded-${scenarioName}`;
}

/**
 * The workflow id of a recorded history file (the file does not hold it): its scenario's, from the
 * name, without the `-runN` of a continued run or the `-before-…` of a history kept from before a
 * patch.
 */
export function workflowIdOfHistoryFile(file: string): string {
  return recordedWorkflowId(path.basename(file).replace(/(-before-[a-z-]+)?(-run\d+)?\.json$/, ''));
}

/** Writes the history of every run of the handle's chain (following continue-as-new). */
async function writeHistories(temporal: TemporalHandle, scenario: Scenario, handle: WorkflowHandle): Promise<void> {
  const desc = await temporal.client.workflow.getHandle(handle.workflowId).describe();
  let runId: string | undefined = desc.raw.workflowExecutionInfo?.firstRunId ?? undefined;
  const runs = [];
  while (runId) {
    const history = await temporal.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
    runs.push(history);
    runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  for (const stale of fs.readdirSync(HISTORIES_DIR).filter((f) => f.startsWith(`${scenario.name}-run`))) {
    fs.rmSync(path.join(HISTORIES_DIR, stale));
  }
  for (const [i, history] of runs.entries()) {
    const file = path.join(HISTORIES_DIR, runs.length === 1 ? `${scenario.name}.json` : `${scenario.name}-run${i + 1}.json`);
    fs.writeFileSync(file, JSON.stringify(JSON.parse(historyToJSON(history)), null, 2) + '\n');
    console.log(`recorded ${path.relative(process.cwd(), file)}`);
  }
}

async function recordOnTimeSkippingServer(list: Scenario[]): Promise<void> {
  if (!list.length) return;
  const temporal = await startTimeSkippingServer();
  const store = openStore('sqlite::memory:');
  try {
    await prepareStore(store);
    for (const scenario of list) {
      const taskQueue = `record-${scenario.name}`;
      const worker = await referenceWorker({ connection: temporal.nativeConnection, namespace: temporal.namespace, taskQueue, store });
      const handle = await scenario.start(temporal, taskQueue, recordedWorkflowId(scenario.name), store);
      await worker.runUntil(async () => {
        await scenario.whileRunning?.(handle, store, temporal);
        await handle.result().catch(() => undefined);
      });
      await writeHistories(temporal, scenario, handle);
    }
  } finally {
    await store.close();
    await temporal.close();
  }
}

async function recordCrashScenarios(list: Scenario[]): Promise<void> {
  if (!list.length) return;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-record-'));
  const storeUrl = `sqlite:${path.join(scratch, 'effects.db')}`;
  const store: EffectStore = openStore(storeUrl);
  const [temporal, bundlePath] = await Promise.all([startDevServer(), writeReferenceCrashPointBundle(scratch)]);
  try {
    await prepareStore(store);
    for (const scenario of list) {
      const taskQueue = `record-${scenario.name}`;
      const crashPointsDir = fs.mkdtempSync(path.join(scratch, 'points-'));
      for (const [point, activityType] of scenario.crash!) arm(crashPointsDir, point, activityType);
      let spawned = 0;
      const spawn = () =>
        spawnReferenceWorker({
          temporal,
          taskQueue,
          storeUrl,
          identity: `recorder-worker-${++spawned}`,
          crashPointsDir,
          bundlePath,
        });
      let workers: WorkerProcess[] = [spawn(), spawn()];
      await Promise.all(workers.map((w) => w.ready));
      const handle = await scenario.start(temporal, taskQueue, recordedWorkflowId(scenario.name), store);
      for (let kill = 0; kill < scenario.crash!.length; kill++) {
        const held = await firstMarker(workers, (m) => m.held && m.workflowId === handle.workflowId, 60_000);
        const victim = workers.find((w) => w.identity === held.identity)!;
        victim.kill('SIGKILL');
        await victim.exited;
        console.log(`  ${scenario.name}: killed ${victim.identity} at ${held.point}.${held.activityType}`);
        workers = [...workers.filter((w) => w !== victim), spawn()];
        await Promise.all(workers.map((w) => w.ready));
      }
      await handle.result();
      await writeHistories(temporal, scenario, handle);
      await WorkerProcess.killAll();
    }
  } finally {
    await WorkerProcess.killAll();
    await store.close();
    await temporal.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  installRuntime('ERROR');
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !scenarios.some((s) => s.name === w));
  if (unknown.length) {
    console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}`);
    process.exit(2);
  }
  const chosen = scenarios.filter((s) => !wanted.length || wanted.includes(s.name));
  await recordOnTimeSkippingServer(chosen.filter((s) => !s.crash));
  await recordCrashScenarios(chosen.filter((s) => s.crash));
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
