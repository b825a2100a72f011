/**
 * `npm run bench:promises`: what bench:saga's workflows cost inside the workflow sandbox, counted
 * rather than timed. The SDK's promise hook captures a stack trace for every promise workflow code
 * creates (for the stack trace query), so promises per run are a large share of a run's workflow
 * thread CPU (docs/PERFORMANCE.md). It runs one order of each version on a dev server (local
 * activities, as `tuned`), then replays each history `--replays` times in the worker's debug mode
 * (workflow code on this thread), and prints per run: the history's events, the promises the
 * sandbox created, and this process's CPU time per replay (which includes the replay worker's own
 * cost, the same for each version).
 *
 * Usage: npm run bench:promises -- [--replays 200] [--json]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { Command } from 'commander';
import type { temporal } from '@temporalio/proto';
import { Worker, bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { openStore } from 'steadfast/activity';
import { startDevServer, uniqueId } from 'steadfast/testing';
import { createWorker, installRuntime, workflowBundle } from 'steadfast/worker';
import { positiveInt } from './args';
import { QUIET_BUNDLER } from './bundler';
import { createSagaBenchActivities, SAGA_BENCH_DDL } from './saga/activities';

type History = temporal.api.history.v1.IHistory;

interface Version {
  name: 'steadfast' | 'lean' | 'plain';
  workflow: 'orderSaga' | 'orderSagaPlain';
  bundle: WorkflowBundle;
}

interface Figure {
  version: Version['name'];
  events: number;
  promisesPerRun: number;
  replayCpuMsPerRun: number;
}


/** Promises created in another realm than this one: the workflow sandbox's. */
function countSandboxPromises(): { count: () => number; stop: () => void } {
  let n = 0;
  const stop = v8.promiseHooks.onInit((promise: Promise<unknown>) => {
    if (promise.constructor !== Promise) n++;
  }) as () => void;
  return { count: () => n, stop };
}

async function main(): Promise<void> {
  const opts = new Command('bench:promises')
    .option('--replays <n>', 'replays of each history', positiveInt('--replays'), 200)
    .option('--json', 'print the figures as JSON')
    .parse()
    .opts<{ replays: number; json?: boolean }>();
  installRuntime('ERROR');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-bench-promises-'));
  const store = openStore(`sqlite:${path.join(dir, 'effects.db')}`);
  const temporal = await startDevServer({ logLevel: 'error' });
  try {
    await store.migrate(SAGA_BENCH_DDL);
    const activities = createSagaBenchActivities(store);
    const source = { workflowsPath: require.resolve('./saga/workflows') };
    const versions: Version[] = [
      { name: 'steadfast', workflow: 'orderSaga', bundle: await workflowBundle(source, [], { stepContext: true }) },
      { name: 'lean', workflow: 'orderSaga', bundle: await workflowBundle(source, [], { stepContext: false }) },
      {
        name: 'plain',
        workflow: 'orderSagaPlain',
        bundle: await bundleWorkflowCode({ workflowsPath: require.resolve('./saga/plain-workflows'), logger: QUIET_BUNDLER }),
      },
    ];
    const figures: Figure[] = [];
    for (const v of versions) {
      const taskQueue = uniqueId(`bench-promises-${v.name}`);
      const common = { connection: temporal.nativeConnection, namespace: 'default', taskQueue, activities };
      const worker =
        v.name === 'plain'
          ? await Worker.create({ ...common, workflowBundle: v.bundle })
          : await createWorker({ ...common, workflowsPath: source.workflowsPath, faultInjection: false, overrides: { workflowBundle: v.bundle } });
      const history: History = await worker.runUntil(async () => {
        const orderId = uniqueId(`order-${v.name}`);
        const handle = await temporal.client.workflow.start(v.workflow, { taskQueue, workflowId: orderId, args: [orderId, false, { local: true }] });
        const result = await handle.result();
        if (result !== 'shipped') throw new Error(`${v.name}: the order ended ${String(result)}, expected shipped`);
        return handle.fetchHistory();
      });
      const replayOptions = { workflowBundle: v.bundle, debugMode: true, reuseV8Context: true };
      await Worker.runReplayHistory(replayOptions, history, uniqueId('warm-up'));
      const histories = Array.from({ length: opts.replays }, () => ({ workflowId: uniqueId('replay'), history }));
      const promises = countSandboxPromises();
      const cpu0 = process.cpuUsage();
      try {
        for await (const r of Worker.runReplayHistories(replayOptions, histories)) if (r.error) throw r.error;
      } finally {
        promises.stop();
      }
      const cpu = process.cpuUsage(cpu0);
      figures.push({
        version: v.name,
        events: history.events?.length ?? 0,
        promisesPerRun: Math.round((promises.count() / opts.replays) * 10) / 10,
        replayCpuMsPerRun: Math.round(((cpu.user + cpu.system) / 1000 / opts.replays) * 100) / 100,
      });
    }
    if (opts.json) {
      console.log(JSON.stringify({ replays: opts.replays, figures }, null, 2));
      return;
    }
    console.log(`bench:promises: one order of each version, replayed ${opts.replays} times in debug mode`);
    console.log('| version | history events | promises per run (sandbox) | replay CPU ms per run |');
    console.log('| --- | --- | --- | --- |');
    for (const f of figures) console.log(`| ${f.version} | ${f.events} | ${f.promisesPerRun} | ${f.replayCpuMsPerRun} |`);
  } finally {
    await temporal.close();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
