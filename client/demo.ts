/**
 * `npm start` / `steadfast demo`: starts an embedded dev server (UI on) unless TEMPORAL_ADDRESS is
 * set, runs a worker in this process, runs the demo scenarios (healthcare, finance, production) to
 * completion and prints each run's trail. Without a terminal it then exits (0 when every run ended
 * as expected). On a terminal it keeps the worker, the server and the Web UI up, says where to
 * look, and exits on Ctrl-C. Ctrl-C during the runs stops the worker gracefully, then the server,
 * then exits 130.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { createActivities, prepareStore } from '../activities';
import project from '../steadfast.config';
import { openStore, type EffectStore } from 'steadfast/activity';
import { assertStoreForRemoteServer, loadConfig, installRuntime, createWorker, plaintextConnectionWarning } from 'steadfast/worker';
import { openTemporal, type TemporalHandle } from 'steadfast/testing';
import { formatTrail, trailOf } from 'steadfast/client';
import { careScenarios } from './demo-care';
import { financeScenarios } from './demo-finance';
import { productionScenario } from './demo-production';

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
  /**
   * Set-up that may take a while (worker processes of its own), started as soon as the demo's
   * worker is up, in the background; {@link start} waits for it.
   */
  prepare?(ctx: { temporal: TemporalHandle; storeUrl: string; baseTaskQueue: string; runTag: string }): Promise<void>;
  /** Tears down what {@link prepare} set up; always runs. */
  dispose?(): Promise<void>;
}

function demoScenarios(): DemoScenario[] {
  return [...careScenarios, ...financeScenarios, productionScenario()];
}

/**
 * Waits for Ctrl-C while the server, the UI and the worker stay up, after printing where to look.
 * A codec server for the UI (payload encryption) is announced here once the codec lands.
 */
async function stayUp(temporal: TemporalHandle, interruption: Promise<never>, workflowIds: string[]): Promise<void> {
  const ui = temporal.uiUrl ? `${temporal.uiUrl}/namespaces/${encodeURIComponent(temporal.namespace)}/workflows` : undefined;
  console.log(
    `\nThe server${ui ? ', the Web UI' : ''} and the worker stay up so you can look at the runs:` +
      (ui ? `\n  Web UI:  ${ui}` : '') +
      `\n  CLI:     TEMPORAL_ADDRESS=${temporal.address} npx steadfast status <workflow id>   (e.g. ${workflowIds[0] ?? '…'})` +
      `\n  temporal workflow list --address ${temporal.address} --namespace ${temporal.namespace}` +
      `\nPress Ctrl-C to stop.`,
  );
  await interruption.catch(() => undefined);
}

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
  assertStoreForRemoteServer(config);
  const warning = plaintextConnectionWarning(config);
  if (warning) console.warn(warning);
  // A queue of its own: the demo's runs carry fault plans and must not reach an application's workers.
  const taskQueue = `${config.taskQueue}-demo`;
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
  let disposers: (() => Promise<void>)[] = [];
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
      taskQueue,
      workflowsPath: project.workflowsPath,
      bundlerOptions: project.bundlerOptions,
      activities: createActivities(store),
      // The demo shows faults on purpose: its runs carry fault plans.
      faultInjection: true,
      codecKeys: config.codecKeys,
    });
    const runTag = randomUUID().slice(0, 8);
    const scenarios = demoScenarios();
    disposers = scenarios.flatMap((s) => (s.dispose ? [s.dispose.bind(s)] : []));
    const prepared = new Map(
      scenarios.map((s) => [
        s,
        (s.prepare?.({ temporal, storeUrl: config.storeUrl, baseTaskQueue: taskQueue, runTag }) ?? Promise.resolve()).catch(
          (err: unknown) => err,
        ),
      ]),
    );
    const workflowIds: string[] = [];
    const failures = await worker.runUntil(async () => {
      let failed = 0;
      for (const scenario of scenarios) {
        console.log(`\n▶ ${scenario.title}`);
        const setUp = await Promise.race([prepared.get(scenario), interruption]);
        if (setUp instanceof Error) {
          failed++;
          console.log(`  could not set up: ${setUp.message}`);
          continue;
        }
        const handle = await scenario.start(temporal, taskQueue, runTag, effects);
        workflowIds.push(handle.workflowId);
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
      console.log(`\nDemo finished: ${scenarios.length - failed} of ${scenarios.length} runs ended as expected.`);
      // On a terminal the user can now open the runs; without one (CI, pipes) the demo exits.
      if (process.stdout.isTTY) {
        await stayUp(temporal, interruption, workflowIds);
      } else if (temporal.uiUrl) {
        console.log(`(The UI at ${temporal.uiUrl} closes with the server.)`);
      }
      return failed;
    });
    return failures === 0 ? 0 : 1;
  } catch (err) {
    if (interrupted) return 130;
    throw err;
  } finally {
    for (const dispose of disposers) await dispose().catch((err) => console.error('demo teardown failed:', err));
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
