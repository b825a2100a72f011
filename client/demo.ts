/**
 * `npm start` / `steadfast demo`: starts an embedded dev server (UI on) unless TEMPORAL_ADDRESS is
 * set, runs a worker in this process, runs the demo scenarios to completion, prints each run's
 * trail, and exits 0. Ctrl-C stops the worker gracefully, then the server, then exits 130.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { createActivities, prepareStore } from '../activities';
import project from '../steadfast.config';
import { openStore, type EffectStore } from 'steadfast/activity';
import { loadConfig, installRuntime, createWorker } from 'steadfast/worker';
import { openTemporal, type TemporalHandle } from 'steadfast/testing';
import { workflowStartOptions, FAULT_PLAN_MEMO_KEY, type FaultPlan, formatTrail, trailOf } from 'steadfast/client';
import { carePathway } from '../workflows';
import { financeScenarios } from './demo-finance';

/** One demo scenario: a run to start and what it shows. */
export interface DemoScenario {
  title: string;
  /** How the run should end; default `completed`. A compensated order ends `failed`. */
  expected?: 'completed' | 'failed' | 'cancelled';
  start(temporal: TemporalHandle, taskQueue: string, runTag: string, store: EffectStore): Promise<WorkflowHandle>;
  /** Runs after the start, before the result is awaited (e.g. cancel the run mid-way). */
  whileRunning?(handle: WorkflowHandle, store: EffectStore): Promise<void>;
  /** A line about the store after the run (balances, stock). */
  after?(store: EffectStore, runTag: string, handle: WorkflowHandle): Promise<string>;
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
  ...financeScenarios,
];

/** The run's failure with its causes, e.g. "Activity task failed: [simulated] permanent fault …". */
function describeFailure(err: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = err instanceof WorkflowFailedError ? err.cause : err; e instanceof Error; e = e.cause) messages.push(e.message);
  return messages.join(': ') || String(err);
}

function isCancellation(err: unknown): boolean {
  return err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure;
}

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
    const effects: EffectStore = store; // a const, so that the closures below see it as defined
    console.log(`Effects:  ${store.kind} ${store.location}`);

    const worker = await createWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue: config.taskQueue,
      workflowsPath: project.workflowsPath,
      bundlerOptions: project.bundlerOptions,
      activities: createActivities(store),
      // The demo shows faults on purpose: its runs carry fault plans.
      faultInjection: true,
    });
    const runTag = randomUUID().slice(0, 8);
    const failures = await worker.runUntil(async () => {
      let failed = 0;
      for (const scenario of scenarios) {
        console.log(`\n▶ ${scenario.title}`);
        const handle = await scenario.start(temporal, config.taskQueue, runTag, effects);
        console.log(`  workflow id ${handle.workflowId}`);
        let outcome: string;
        let ended: 'completed' | 'failed' | 'cancelled';
        try {
          await Promise.race([scenario.whileRunning?.(handle, effects), interruption]);
          const result = await Promise.race([handle.result(), interruption]);
          ended = 'completed';
          outcome = `completed: ${JSON.stringify(result)}`;
        } catch (err) {
          if (err instanceof Interrupted) throw err;
          ended = isCancellation(err) ? 'cancelled' : 'failed';
          outcome = `${ended}: ${describeFailure(err)}`;
        }
        if (ended !== (scenario.expected ?? 'completed')) failed++;
        console.log(`  ${outcome}\n  trail:\n${formatTrail(await trailOf(handle))}`);
        if (scenario.after) console.log(`  now: ${await scenario.after(effects, runTag, handle)}`);
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
