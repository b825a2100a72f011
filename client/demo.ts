/**
 * `npm start` / `steadfast demo`: starts an embedded dev server (UI on) unless TEMPORAL_ADDRESS is
 * set, runs a worker in this process, runs the demo scenarios (healthcare, finance, production) to
 * completion and prints each run's trail. Every payload is encrypted: with the configured keys, or
 * else with the demo key (generated once into `.steadfast/demo-codec-keys.json`).
 *
 * Without a terminal it then exits (0 when every run ended as expected). On a terminal (or with
 * `STEADFAST_DEMO_STAY_UP=1`) it keeps the worker, the server and the Web UI up, with a codec server
 * on loopback (a fresh token) that the UI decodes through, says where to look, and exits 0 on
 * Ctrl-C. Ctrl-C during the runs stops the worker gracefully, then the server, then exits 130.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { createActivities, prepareStore } from '../activities';
import project from '../steadfast.config';
import { openStore, type EffectStore } from 'steadfast/activity';
import {
  assertStoreForRemoteServer,
  loadConfig,
  installRuntime,
  createWorker,
  plaintextConnectionWarning,
  demoCodecKeys,
  startDemoCodecServer,
  type CodecKeyRing,
  type DemoCodecServer,
  type SteadfastConfig,
} from 'steadfast/worker';
import { freePort, openTemporal, type TemporalHandle } from 'steadfast/testing';
import { formatTrail, trailOf } from 'steadfast/client';
import { careScenarios } from './demo-care';
import { financeScenarios } from './demo-finance';
import { productionScenario } from './demo-production';

/** What a scenario's {@link DemoScenario.prepare} gets. */
export interface DemoContext {
  temporal: TemporalHandle;
  storeUrl: string;
  baseTaskQueue: string;
  runTag: string;
  /** The demo's payload encryption: worker processes of a scenario must use the same keys. */
  encryption: DemoEncryption;
}

/** The keys the demo encrypts with, and how a worker process of its own gets them. */
export interface DemoEncryption {
  keys: CodecKeyRing;
  /** Environment for a worker process: the configured keys are inherited; the demo key is named. */
  workerEnv: Record<string, string | undefined>;
  /** The demo key file, when the demo key is used (no keys configured). */
  demoKeyFile?: string;
  /** How to read the runs with the CLI: the key variable to set, e.g. `STEADFAST_CODEC_KEYS_FILE=….json `. */
  cliPrefix: string;
}

/** Set to 1 to stay up after the runs without a terminal (0: exit even on one). */
export const STAY_UP_VAR = 'STEADFAST_DEMO_STAY_UP';

/** One demo scenario: a run to start and what it shows. */
export interface DemoScenario {
  title: string;
  /** How the run should end; default `completed`. A compensated order ends `failed`. */
  expected?: 'completed' | 'failed' | 'cancelled';
  start(temporal: TemporalHandle, taskQueue: string, runTag: string, store: EffectStore): Promise<WorkflowHandle>;
  /** Runs after the start, before the result is awaited (e.g. cancel the run mid-way). */
  whileRunning?(handle: WorkflowHandle, store: EffectStore): Promise<void>;
  /**
   * A line about the store after the run (balances, stock). Throwing says the run did not show
   * what the scenario promises (e.g. no worker was killed): the demo counts it as not as expected.
   */
  after?(store: EffectStore, runTag: string, handle: WorkflowHandle): Promise<string>;
  /**
   * Set-up that may take a while (worker processes of its own), started as soon as the demo's
   * worker is up, in the background; {@link start} waits for it.
   */
  prepare?(ctx: DemoContext): Promise<void>;
  /** Tears down what {@link prepare} set up; always runs. */
  dispose?(): Promise<void>;
}

function demoScenarios(): DemoScenario[] {
  return [...careScenarios, ...financeScenarios, productionScenario()];
}

/**
 * The demo's keys: the configured ones (`STEADFAST_CODEC_KEYS_FILE` or `STEADFAST_CODEC_KEYS`), or
 * else the demo key. Only the demo falls back to a key of its own; workers and the CLI never do.
 */
function demoEncryption(config: SteadfastConfig): DemoEncryption {
  if (config.codecKeys) return { keys: config.codecKeys, workerEnv: {}, cliPrefix: '' };
  const demo = demoCodecKeys();
  if (demo.created) console.log(`Generated the demo encryption key in ${demo.file} (mode 0600).`);
  return {
    keys: demo.keys,
    // The configured variables are unset, so the demo key cannot be mistaken for them.
    workerEnv: { STEADFAST_CODEC_KEYS_FILE: demo.file, STEADFAST_CODEC_KEYS: undefined },
    demoKeyFile: demo.file,
    cliPrefix: `STEADFAST_CODEC_KEYS_FILE=${demo.file} `,
  };
}

/** Whether to stay up after the runs: on a terminal, unless {@link STAY_UP_VAR} says otherwise. */
function staysUp(): boolean {
  const forced = process.env[STAY_UP_VAR]?.trim();
  if (forced === '1') return true;
  if (forced === '0') return false;
  return Boolean(process.stdout.isTTY);
}

/**
 * Waits for Ctrl-C while the server, the UI, the worker and the codec server stay up, after
 * printing where to look: the Web UI decodes through the codec server; the `temporal` CLI without
 * it shows what the server stores (encrypted); `steadfast` with the key decodes.
 */
async function stayUp(
  temporal: TemporalHandle,
  interruption: Promise<never>,
  workflowIds: string[],
  encryption: DemoEncryption,
  codec: DemoCodecServer,
): Promise<void> {
  const ui = temporal.uiUrl ? `${temporal.uiUrl}/namespaces/${encodeURIComponent(temporal.namespace)}/workflows` : undefined;
  const id = workflowIds[0] ?? '<workflow id>';
  const tctl = `temporal workflow show --address ${temporal.address} --namespace ${temporal.namespace} -w ${id}`;
  console.log(
    `\nThe server${ui ? ', the Web UI' : ''}, the worker and a codec server stay up so you can look at the runs.` +
      `\nEvery payload is encrypted with key "${encryption.keys.current}"` +
      (encryption.demoKeyFile ? ` (the demo key in ${encryption.demoKeyFile}: never use it for real data).` : ` (${encryption.keys.source}).`) +
      (ui
        ? `\n  Web UI:       ${ui}` +
          `\n                runs open decoded: the UI sends payloads to the codec server ${codec.url}` +
          `\n                (preset with --ui-codec-endpoint, the token in its path; the glasses icon shows the setting).`
        : '') +
      `\n  Raw history:  ${tctl} -o json   (as the server stores it: inputs, results, memos, failures binary/encrypted)` +
      `\n  Decoded:      ${tctl} --codec-endpoint ${codec.url} --codec-auth "Bearer $(cat ${codec.tokenFile})"` +
      `\n  steadfast:    ${encryption.cliPrefix}TEMPORAL_ADDRESS=${temporal.address} npx steadfast status ${id}` +
      `\nThe codec server accepts only its token (a fresh one each run, in ${codec.tokenFile} while the demo runs) and` +
      `\nanswers browsers only from the Web UI's origin. Press Ctrl-C to stop.`,
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
  const loaded = loadConfig();
  assertStoreForRemoteServer(loaded);
  const encryption = demoEncryption(loaded);
  const config: SteadfastConfig = { ...loaded, codecKeys: encryption.keys };
  const stayingUp = staysUp();
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

  // Staying up, the Web UI decodes through a codec server: it must be up, with the UI's origin,
  // before the dev server starts with its endpoint.
  const uiPort = stayingUp && !config.temporal.address ? await freePort() : undefined;
  const codec = stayingUp
    ? await startDemoCodecServer({
        keys: encryption.keys,
        uiOrigins: uiPort ? [`http://127.0.0.1:${uiPort}`, `http://localhost:${uiPort}`] : [],
        log: (line) => console.error(line),
      })
    : undefined;
  let temporal: TemporalHandle;
  try {
    console.log(config.temporal.address ? `Connecting to ${config.temporal.address}…` : 'Starting an embedded Temporal dev server…');
    temporal = await openTemporal({ ui: true, uiPort, uiCodecEndpoint: codec?.uiEndpoint }, config);
  } catch (err) {
    await codec?.close();
    throw err;
  }
  let store: EffectStore | undefined;
  let disposers: (() => Promise<void>)[] = [];
  try {
    console.log(`Temporal: ${temporal.address} (namespace ${temporal.namespace})${temporal.embedded ? ', embedded' : ''}`);
    if (temporal.uiUrl) console.log(`Web UI:   ${temporal.uiUrl}`);
    console.log(
      `Payloads: encrypted (AES-256-GCM), key "${encryption.keys.current}"` +
        (encryption.demoKeyFile ? ` from ${encryption.demoKeyFile} (a demo key: never for real data)` : ` from ${encryption.keys.source}`),
    );
    if (codec) console.log(`Codec:    ${codec.url} (token in ${codec.tokenFile})`);
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
      codecKeys: encryption.keys,
    });
    const runTag = randomUUID().slice(0, 8);
    const scenarios = demoScenarios();
    disposers = scenarios.flatMap((s) => (s.dispose ? [s.dispose.bind(s)] : []));
    const prepared = new Map(
      scenarios.map((s) => [
        s,
        (s.prepare?.({ temporal, storeUrl: config.storeUrl, baseTaskQueue: taskQueue, runTag, encryption }) ?? Promise.resolve()).catch(
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
        if (scenario.after) {
          try {
            console.log(`  now: ${await scenario.after(effects, runTag, handle)}`);
          } catch (err) {
            failed++;
            console.log(`  not as expected: ${(err as Error).message}`);
          }
        }
      }
      console.log(`\nDemo finished: ${scenarios.length - failed} of ${scenarios.length} runs ended as expected.`);
      // On a terminal the user can now open the runs; without one (CI, pipes) the demo exits.
      if (codec) {
        await stayUp(temporal, interruption, workflowIds, encryption, codec);
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
    await codec?.close().catch((err) => console.error('stopping the codec server failed:', err));
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
