/**
 * `npm start` / `steadfast demo`: starts an embedded dev server (UI on) unless TEMPORAL_ADDRESS is
 * set, runs a worker in this process, runs the demo scenarios to completion, prints each run's
 * trail, and exits 0. Ctrl-C stops the worker gracefully, then the server, then exits 130.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { prepareStore } from '../activities';
import { openStore, type EffectStore } from '../activities/store';
import { loadConfig } from '../platform/config';
import { installRuntime } from '../platform/runtime';
import { openTemporal, type TemporalHandle } from '../platform/servers';
import { workflowStartOptions } from '../workers/settings';
import { createWorker } from '../workers/worker';
import { carePathway } from '../workflows';
import { FAULT_PLAN_MEMO_KEY, type FaultPlan } from '../workflows/fault-plan';
import { formatTrail, trailOf } from './trail';

/** One demo scenario: a run to start and what it shows. */
interface DemoScenario {
  title: string;
  start(temporal: TemporalHandle, taskQueue: string, runTag: string): Promise<WorkflowHandle>;
}

const scenarios: DemoScenario[] = [
  {
    title: 'Care pathway: a flaky admissions system (2 transient faults), then a durable timer, then the follow-up',
    start: (temporal, taskQueue, runTag) =>
      temporal.client.workflow.start(carePathway, {
        taskQueue,
        workflowId: `care-patient-1001-${runTag}`,
        args: [{ patientId: 'patient-1001', ward: 'cardiology', followUpAfter: '3 seconds' }],
        memo: { [FAULT_PLAN_MEMO_KEY]: { admitPatient: { kind: 'transient', times: 2 } } satisfies FaultPlan },
        ...workflowStartOptions(),
      }),
  },
];

class Interrupted extends Error {
  override readonly name = 'Interrupted';
}

export async function runDemo(): Promise<number> {
  // Simulated faults show up in each run's trail; the SDK's per-attempt warnings would bury it.
  installRuntime('ERROR');
  const config = loadConfig();
  let interrupted = false;
  let onInterrupt: () => void = () => {};
  const interruption = new Promise<never>((_, reject) => {
    onInterrupt = () => reject(new Interrupted('interrupted'));
  });
  interruption.catch(() => undefined);
  const sigint = () => {
    interrupted = true;
    console.log('\nInterrupted: stopping the worker gracefully, then the server…');
    onInterrupt();
  };
  process.once('SIGINT', sigint);
  process.once('SIGTERM', sigint);

  console.log(config.temporal.address ? `Connecting to ${config.temporal.address}…` : 'Starting an embedded Temporal dev server…');
  const temporal = await openTemporal({ ui: true });
  let store: EffectStore | undefined;
  try {
    console.log(`Temporal: ${temporal.address} (namespace ${temporal.namespace})${temporal.embedded ? ', embedded' : ''}`);
    if (temporal.uiUrl) console.log(`Web UI:   ${temporal.uiUrl}`);
    store = openStore(config.storeUrl);
    await prepareStore(store);
    console.log(`Effects:  ${store.kind} ${store.location}`);

    const worker = await createWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue: config.taskQueue,
      store,
    });
    const runTag = randomUUID().slice(0, 8);
    const failures = await worker.runUntil(async () => {
      let failed = 0;
      for (const scenario of scenarios) {
        console.log(`\n▶ ${scenario.title}`);
        const handle = await scenario.start(temporal, config.taskQueue, runTag);
        console.log(`  workflow id ${handle.workflowId}`);
        let outcome: string;
        try {
          const result = await Promise.race([handle.result(), interruption]);
          outcome = `completed: ${JSON.stringify(result)}`;
        } catch (err) {
          if (err instanceof Interrupted) throw err;
          failed++;
          outcome = `failed: ${(err as Error).message}`;
        }
        console.log(`  ${outcome}\n  trail:\n${formatTrail(await trailOf(handle))}`);
      }
      return failed;
    });
    console.log(
      `\nDemo finished: ${scenarios.length - failures} of ${scenarios.length} runs ended as expected.` +
        (temporal.uiUrl ? ` (The UI at ${temporal.uiUrl} closes with the server.)` : ''),
    );
    return failures === 0 ? 0 : 1;
  } catch (err) {
    if (interrupted) return 130;
    throw err;
  } finally {
    await store?.close().catch((err) => console.error('closing the effect store failed:', err));
    await temporal.close().catch((err) => console.error('stopping the server failed:', err));
    process.off('SIGINT', sigint);
    process.off('SIGTERM', sigint);
  }
}

if (require.main === module) {
  runDemo().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
