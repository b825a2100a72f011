/**
 * `npm run bench:local-steps`: what a step costs inside the TypeScript SDK, with nothing of
 * Steadfast's and no store. A plain `Worker` runs `threeLocalSteps` (three local activities that
 * only read the clock), one run at a time, on an in-memory dev server with bench:saga's `tuned`
 * server options (one task queue partition, uncapped task queue readers), under several worker
 * options. It prints, per option set, the p50 gap from one local activity to the next (the SDK's
 * round trip: the activity's result into the sandbox, the workflow's next command out, the next
 * activity's dispatch), the start → first activity time and the run's latency. The worker and the
 * client share this process, so the latencies are not a floor for bench:saga, whose worker is a
 * process of its own; the gap is the worker's alone.
 *
 * Usage: npm run bench:local-steps -- [--runs 60]
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { Command } from 'commander';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { freePort, resolveServer, waitUntil } from 'steadfast/testing';
import { FAST_QUEUES, ONE_PARTITION } from './server-args';

/** The activity the floor workflow calls. */
export interface StepActivities {
  stamp(): Promise<number>;
}

const QUIET = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error };
const now = () => performance.timeOrigin + performance.now();

/** The option sets compared: the SDK's defaults, and the ones that change where workflow code runs. */
const VARIANTS: Array<[string, Partial<WorkerOptions>]> = [
  ['SDK defaults (reused V8 context)', {}],
  ['reuseV8Context: false', { reuseV8Context: false }],
  ['workflowThreadPoolSize: 1', { workflowThreadPoolSize: 1 }],
  ['debugMode (workflows on the main thread)', { debugMode: true }],
];

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const opts = new Command('bench:local-steps')
    .option('--runs <n>', 'sequential runs per option set (the first 10 are a warm-up)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 11) throw new Error(`--runs: expected an integer of at least 11, got "${v}"`);
      return n;
    }, 60)
    .parse()
    .opts<{ runs: number }>();
  Runtime.install({ logger: QUIET as never });
  const resolution = resolveServer('cli');
  if (resolution.executable.type !== 'existing-path') throw new Error('no temporal CLI found: run "npx steadfast setup" first');
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const namespace = 'default';
  const server = spawn(
    resolution.executable.path,
    ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless', '--log-level', 'error', ...ONE_PARTITION, ...FAST_QUEUES],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  try {
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./local-steps/workflows'), logger: QUIET });
    let clientConnection: Connection | undefined;
    await waitUntil(async () => (clientConnection = await Connection.connect({ address }).catch(() => undefined)) !== undefined, {
      timeoutMs: 60_000,
      what: 'the dev server to listen',
    });
    const client = new Client({ connection: clientConnection!, namespace });
    const connection = await NativeConnection.connect({ address });
    console.log(`in-memory dev server, one partition, uncapped readers; ${opts.runs} sequential runs per option set, the first 10 a warm-up`);
    for (const [label, options] of VARIANTS) {
      const taskQueue = `local-steps-${process.pid}-${label.replace(/\W/g, '')}`;
      const activities: StepActivities = { stamp: async () => now() };
      const worker = await Worker.create({ connection, namespace, taskQueue, workflowBundle, activities, ...options });
      const latency: number[] = [];
      const toFirst: number[] = [];
      const gaps: number[] = [];
      await worker.runUntil(async () => {
        for (let i = 0; i < opts.runs; i++) {
          const startedAt = now();
          const at = await client.workflow.execute('threeLocalSteps', { taskQueue, workflowId: `${taskQueue}-${i}` });
          if (i < 10) continue;
          latency.push(now() - startedAt);
          toFirst.push(at[0]! - startedAt);
          gaps.push(at[1]! - at[0]!, at[2]! - at[1]!);
        }
      });
      console.log(
        `${label.padEnd(42)} local activity → next ${p50(gaps).toFixed(1)} ms; start → first activity ${p50(toFirst).toFixed(1)} ms; ` +
          `run p50 ${p50(latency).toFixed(1)} ms`,
      );
    }
    await connection.close();
    console.log(`load average: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} cores`);
  } finally {
    server.kill('SIGTERM');
  }
}

main().catch((err: Error) => {
  console.error(`bench:local-steps: ${err.message}`);
  process.exit(1);
});
