/**
 * `npm run bench:saga`: saga throughput and latency on the dev server persisting to a file, in
 * several configurations, with the effect store checked after every run.
 *
 * The workload: `orderSaga(orderId, failShip)` (order id = workflow id): reserve → charge → ship,
 * each writing one row keyed (order id, step) through Steadfast's effect store; with `failShip`,
 * ship fails non-retryably before it writes and the saga compensates with refund, then release.
 * `orderSagaPlain` is the same flow in plain Temporal (no saga class, no key store, the SDK's
 * defaults), for the overhead ratio.
 *
 * Per configuration: a fresh dev server (its own database file) and a fresh store; a warm-up of
 * `--warmup` runs; a closed loop of `--concurrency` clients until `--workflows` runs finish; another
 * warm-up; a sequential run of `--sequential` workflows. It prints wf/s and p50/p95/p99 latency
 * (start → result, as the client sees it), CPU seconds per 1,000 workflows of each process (dev
 * server, worker, client, database), and checks that the store holds exactly the rows each
 * result claims, in step order. A check that fails makes the exit code 1.
 *
 * Usage: npm run bench:saga -- [--workflows 2000] [--concurrency 32] [--sequential 200] [--warmup 200]
 *          [--store sqlite|postgres] [--fail-rate 0.1] [--configs defaults,steadfast,tuned,eager,lean,eager-lean,plain-tuned] [--json]
 * `--store postgres` uses STEADFAST_TEST_PG_URL, or starts a throwaway server with .ci/postgres.
 * Loopback only; every loop is bounded by its count.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Command, InvalidArgumentError } from 'commander';
import { temporal } from '@temporalio/proto';
import { msToNumber } from '@temporalio/common/lib/time';
import { openStore, type EffectStore } from 'steadfast/activity';
import { freePort, resolveServer } from 'steadfast/testing';
import { bundleWorkflowCode, NativeConnection, type Worker, type WorkerOptions } from '@temporalio/worker';
import { createWorker, installRuntime, workflowBundle } from 'steadfast/worker';
import { readClusterState, type ClusterState } from '../src/cluster';
import { SAGA_BENCH_DDL, createSagaBenchActivities } from './saga/activities';
import type { OrderSagaResult } from './saga/workflows';
import { positiveInt } from './args';
import { QUIET_BUNDLER } from './bundler';
import { benchPostgres } from './postgres';
import { FAST_QUEUES, ONE_PARTITION } from './server-args';

/** One configuration under test. */
interface BenchConfig {
  name: string;
  /** Which workflow: Steadfast's saga or the plain-Temporal one. */
  workflow: 'orderSaga' | 'orderSagaPlain';
  /** Local activities for the short store writes. */
  local: boolean;
  /** Dev server options (pragmas, dynamic config). */
  serverArgs: string[];
  /** Worker options. */
  worker: Record<string, unknown>;
  /** What a crash or power loss may cost with this configuration. */
  durability: string;
  /**
   * Eager workflow start: the worker runs in the client's process, on the client's connection, and
   * the server hands the first workflow task back in the start's response.
   */
  eager?: boolean;
  /** Steadfast's workers only: carry the saga step through async context (default true). */
  stepContext?: boolean;
}

const WAL = ['--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal'];
/** Steadfast's search attributes: a compensating saga marks its run with them. */
const SEARCH_ATTRIBUTES = [
  '--search-attribute', 'SteadfastFaults=Int',
  '--search-attribute', 'SteadfastFaultKinds=KeywordList',
  '--search-attribute', 'SteadfastCompensated=Bool',
];
const TUNED_WORKER = { maxCachedWorkflows: 1000, maxConcurrentWorkflowTaskExecutions: 64, maxConcurrentActivityTaskExecutions: 64, maxConcurrentLocalActivityExecutions: 64, reuseV8Context: true };

const EAGER: BenchConfig = {
  name: 'Steadfast, tuned, eager workflow start (worker in the client process)',
  workflow: 'orderSaga',
  local: true,
  serverArgs: [...WAL, ...ONE_PARTITION, ...FAST_QUEUES, '--dynamic-config-value', 'system.enableEagerWorkflowStart=true'],
  worker: TUNED_WORKER,
  durability: 'as tuned',
  eager: true,
};

const CONFIGS: Record<string, BenchConfig> = {
  defaults: {
    name: 'plain Temporal, SDK defaults',
    workflow: 'orderSagaPlain',
    local: false,
    serverArgs: [],
    worker: {},
    durability: 'every server write fsynced (SQLite defaults: rollback journal, synchronous=FULL)',
  },
  steadfast: {
    name: 'Steadfast saga + keys, defaults',
    workflow: 'orderSaga',
    local: false,
    serverArgs: [],
    worker: {},
    durability: 'as defaults; each effect and its key commit in one store transaction',
  },
  tuned: {
    name: 'Steadfast, tuned (WAL+normal, 1 partition, task queue readers uncapped, local activities, worker tuning)',
    workflow: 'orderSaga',
    local: true,
    serverArgs: [...WAL, ...ONE_PARTITION, ...FAST_QUEUES],
    worker: TUNED_WORKER,
    durability: 'survives a process crash; a power loss may lose the last server transactions (WAL, synchronous=normal)',
  },
  eager: EAGER,
  lean: {
    name: 'Steadfast, tuned, without the step context (no step on log lines and spans)',
    workflow: 'orderSaga',
    local: true,
    serverArgs: [...WAL, ...ONE_PARTITION, ...FAST_QUEUES],
    worker: TUNED_WORKER,
    durability: 'as tuned',
    stepContext: false,
  },
  'eager-lean': { ...EAGER, name: 'Steadfast, tuned, eager workflow start, without the step context: every lever above at once', stepContext: false },
  'plain-tuned': {
    name: 'plain Temporal, same tuning',
    workflow: 'orderSagaPlain',
    local: true,
    serverArgs: [...WAL, ...ONE_PARTITION, ...FAST_QUEUES],
    worker: TUNED_WORKER,
    durability: 'as tuned; no idempotency keys (a retried step would write twice)',
  },
};

interface Phase {
  workflows: number;
  concurrency: number;
  seconds: number;
  wfPerSec: number;
  p50: number;
  p95: number;
  p99: number;
  /** CPU seconds per 1,000 workflows. */
  cpu: Record<string, number>;
}

interface ConfigResult {
  config: string;
  name: string;
  durability: string;
  closedLoop: Phase;
  sequential: Phase;
  storeCheck: { ok: boolean; problems: string[] };
  /** Workflow tasks of the closed loop's runs, and those that timed out (a live worker too slow, or a sticky queue not polled in time). */
  workflowTasks: { completed: number; startToCloseTimeouts: number; stickyTimeouts: number };
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const CLK_TCK = 100;

/** CPU seconds (user + system) of a process and its children that are still alive, from /proc. */
function processCpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime are fields 14 and 15 (1-based) of the whole line: 12 and 13 after "state".
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** The PostgreSQL server's processes (postmaster and its children). */
function postgresPids(dataDir: string | undefined): number[] {
  if (!dataDir) return [];
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return [];
  const master = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  const pids = [master];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === master) pids.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return pids;
}

interface Processes {
  /** The Temporal server's processes: the dev server, or a cluster's nodes, load balancer and PostgreSQL. */
  serverPids: () => number[];
  /** Absent when the worker runs in the client's process (its CPU is then the client's). */
  worker?: ChildProcess;
  pgDataDir?: string;
}

function cpuSnapshot(p: Processes): Record<string, number> {
  const client = process.cpuUsage();
  return {
    server: p.serverPids().reduce((sum, pid) => sum + processCpuSeconds(pid), 0),
    worker: p.worker ? processCpuSeconds(p.worker.pid!) : 0,
    client: (client.user + client.system) / 1e6,
    database: postgresPids(p.pgDataDir).reduce((sum, pid) => sum + processCpuSeconds(pid), 0),
  };
}

async function waitForLine(child: ChildProcess, marker: string, what: string, timeoutMs = 300_000): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not print "${marker}" within ${timeoutMs} ms`)), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      if (buffer.includes(marker)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) before it was ready`));
    });
  });
}

async function waitForServer(address: string, timeoutMs = 120_000): Promise<Connection> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await Connection.connect({ address, connectTimeout: 2_000 });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Counts the workflow tasks of these runs (read from their histories, 16 at a time), and those that timed out. */
async function countWorkflowTasks(client: Client, workflowIds: string[]): Promise<ConfigResult['workflowTasks']> {
  const out = { completed: 0, startToCloseTimeouts: 0, stickyTimeouts: 0 };
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < workflowIds.length) {
        const history = await client.workflow.getHandle(workflowIds[next++]).fetchHistory();
        for (const e of history.events ?? []) {
          if (e.workflowTaskCompletedEventAttributes) out.completed++;
          const timedOut = e.workflowTaskTimedOutEventAttributes;
          if (timedOut) {
            if (timedOut.timeoutType === temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START) out.stickyTimeouts++;
            else out.startToCloseTimeouts++;
          }
        }
      }
    }),
  );
  return out;
}

/** Checks that every order's rows are exactly the steps its result claims, in step order. */
async function checkStore(store: EffectStore, results: Map<string, OrderSagaResult>): Promise<{ ok: boolean; problems: string[] }> {
  const rows = await store.all<{ order_id: string; step: string; seq: string | number }>(
    'SELECT order_id, step, seq FROM bench_saga_effects ORDER BY order_id, seq',
  );
  const byOrder = new Map<string, string[]>();
  for (const r of rows) byOrder.set(r.order_id, [...(byOrder.get(r.order_id) ?? []), r.step]);
  const problems: string[] = [];
  const expected = { shipped: 'reserve,charge,ship', compensated: 'reserve,charge,refund,release' };
  for (const [orderId, result] of results) {
    const got = (byOrder.get(orderId) ?? []).join(',');
    if (got !== expected[result]) problems.push(`${orderId}: ${result}, rows [${got}], expected [${expected[result]}]`);
    byOrder.delete(orderId);
  }
  for (const [orderId, steps] of byOrder) problems.push(`${orderId}: rows [${steps.join(',')}] but no result`);
  return { ok: problems.length === 0, problems: problems.slice(0, 20) };
}

async function runPhase(
  client: Client,
  cfg: BenchConfig,
  taskQueue: string,
  prefix: string,
  workflows: number,
  concurrency: number,
  failRate: number,
  procs: Processes,
  results: Map<string, OrderSagaResult>,
  workflowTaskTimeoutMs?: number,
): Promise<Phase> {
  const latencies: number[] = [];
  let next = 0;
  const cpu0 = cpuSnapshot(procs);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < workflows) {
        const i = next++;
        const orderId = `${prefix}-${i}`;
        // Every (1/failRate)-th order fails its shipment: a fixed share, not a random one.
        const failShip = failRate > 0 && Math.floor((i + 1) * failRate) > Math.floor(i * failRate);
        const start = performance.now();
        const result = await client.workflow.execute(cfg.workflow, {
          taskQueue,
          workflowId: orderId,
          args: [orderId, failShip, { local: cfg.local }],
          ...(cfg.eager ? { requestEagerStart: true } : {}),
          ...(workflowTaskTimeoutMs ? { workflowTaskTimeout: workflowTaskTimeoutMs } : {}),
        });
        latencies.push(performance.now() - start);
        results.set(orderId, result as OrderSagaResult);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = cpuSnapshot(procs);
  latencies.sort((a, b) => a - b);
  const per1000 = (k: string) => Math.round(((cpu1[k] - cpu0[k]) / workflows) * 1000 * 10) / 10;
  return {
    workflows,
    concurrency,
    seconds: Math.round(seconds * 10) / 10,
    wfPerSec: Math.round((workflows / seconds) * 10) / 10,
    p50: Math.round(percentile(latencies, 50)),
    p95: Math.round(percentile(latencies, 95)),
    p99: Math.round(percentile(latencies, 99)),
    cpu: { server: per1000('server'), worker: per1000('worker'), client: per1000('client'), database: per1000('database') },
  };
}

async function runConfig(
  key: string,
  opts: {
    workflows: number;
    concurrency: number;
    sequential: number;
    warmup: number;
    failRate: number;
    storeUrl: string;
    pgDataDir?: string;
    bundles: { steadfast: string; lean: string; plain: string };
    dynamicConfig: string[];
    workflowTaskTimeout?: number;
    /** The running cluster of `steadfast cluster up`, instead of a dev server per configuration. */
    cluster?: ClusterState;
  },
  log: (line: string) => void,
): Promise<ConfigResult> {
  const cfg = CONFIGS[key];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `steadfast-bench-saga-${key}-`));
  const { cluster } = opts;
  let server: ChildProcess | undefined;
  let address: string;
  let serverPids: () => number[];
  if (cluster) {
    // The cluster's own configuration: the configurations' server options do not apply.
    address = cluster.address;
    serverPids = () => [
      ...cluster.nodes.map((n) => n.pid).filter((pid): pid is number => pid !== undefined),
      ...(cluster.loadBalancer?.pid ? [cluster.loadBalancer.pid] : []),
      ...postgresPids(cluster.postgres.dataDir),
    ];
  } else {
    const port = await freePort();
    address = `127.0.0.1:${port}`;
    const resolution = resolveServer('cli');
    const executable = resolution.executable.type === 'existing-path' ? resolution.executable.path : undefined;
    if (!executable) throw new Error('no temporal CLI found: run "npx steadfast setup" first');
    const dev = spawn(
      executable,
      ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless', '--log-level', 'error',
        '--db-filename', path.join(dir, 'temporal.db'), ...SEARCH_ATTRIBUTES, ...cfg.serverArgs,
        ...opts.dynamicConfig.flatMap((kv) => ['--dynamic-config-value', kv])],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    server = dev;
    serverPids = () => [dev.pid!];
  }
  const namespace = cluster?.namespace ?? 'default';
  let worker: ChildProcess | undefined;
  let connection: Connection | undefined;
  let native: NativeConnection | undefined;
  let inProcess: Worker | undefined;
  let running: Promise<void> | undefined;
  const storeUrl = opts.storeUrl === 'sqlite' ? `sqlite:${path.join(dir, 'effects.db')}` : opts.storeUrl;
  const store = openStore(storeUrl);
  try {
    connection = await waitForServer(address);
    const taskQueue = `bench-saga-${key}-${process.pid}`;
    const plainWorker = cfg.workflow === 'orderSagaPlain';
    const steadfastBundle = cfg.stepContext === false ? opts.bundles.lean : opts.bundles.steadfast;
    if (cfg.eager) {
      // One process: the client starts runs on the connection its worker polls with.
      await store.migrate(SAGA_BENCH_DDL);
      native = await NativeConnection.connect({ address });
      inProcess = await createWorker({
        connection: native,
        namespace,
        taskQueue,
        workflowsPath: require.resolve('./saga/workflows'),
        activities: createSagaBenchActivities(store),
        faultInjection: false,
        overrides: { ...(cfg.worker as Partial<WorkerOptions>), workflowBundle: { codePath: steadfastBundle } },
      });
      running = inProcess.run();
    }
    const client = new Client({ connection: native ?? connection, namespace });
    if (!cfg.eager) worker = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'saga', 'worker.ts')], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: address,
        TEMPORAL_NAMESPACE: namespace,
        BENCH_TASK_QUEUE: taskQueue,
        BENCH_STORE: storeUrl,
        BENCH_WORKER_OPTIONS: JSON.stringify(cfg.worker),
        BENCH_BUNDLE: plainWorker ? opts.bundles.plain : steadfastBundle,
        BENCH_PLAIN: plainWorker ? '1' : '0',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (worker) await waitForLine(worker, 'bench-worker-ready', 'the benchmark worker');
    const procs: Processes = { serverPids, worker, pgDataDir: opts.pgDataDir };
    const results = new Map<string, OrderSagaResult>();
    const run = `${key}-${Date.now().toString(36)}`;
    log(`${key}: warm-up (${opts.warmup})`);
    const wft = opts.workflowTaskTimeout;
    await runPhase(client, cfg, taskQueue, `${run}-w1`, opts.warmup, opts.concurrency, opts.failRate, procs, results, wft);
    log(`${key}: closed loop, N = ${opts.workflows}, C = ${opts.concurrency}`);
    const closedLoop = await runPhase(client, cfg, taskQueue, `${run}-c`, opts.workflows, opts.concurrency, opts.failRate, procs, results, wft);
    log(`${key}: ${closedLoop.wfPerSec} wf/s, p50 ${closedLoop.p50} ms; warm-up, then sequential, N = ${opts.sequential}`);
    await runPhase(client, cfg, taskQueue, `${run}-w2`, Math.min(opts.warmup, 50), 1, opts.failRate, procs, results, wft);
    const sequential = await runPhase(client, cfg, taskQueue, `${run}-s`, opts.sequential, 1, opts.failRate, procs, results, wft);
    const storeCheck = await checkStore(store, results);
    const workflowTasks = await countWorkflowTasks(client, Array.from({ length: opts.workflows }, (_, i) => `${run}-c-${i}`));
    return { config: key, name: cfg.name, durability: cfg.durability, closedLoop, sequential, storeCheck, workflowTasks };
  } finally {
    await stop(worker);
    if (inProcess) {
      inProcess.shutdown();
      await running?.catch(() => undefined);
    }
    await native?.close().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await stop(server);
    await store.close().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function table(results: ConfigResult[]): string {
  const c = results[0]?.closedLoop.concurrency ?? 32;
  const head = `| configuration | wf/s C=${c} | p50/p95/p99 ms | C=1 p50 ms | CPU s/1000 wf: server / worker / client / db | workflow tasks timed out | store check |`;
  const rows = results.map((r) => {
    const c = r.closedLoop.cpu;
    const t = r.workflowTasks;
    return (
      `| ${r.config} | ${r.closedLoop.wfPerSec} | ${r.closedLoop.p50} / ${r.closedLoop.p95} / ${r.closedLoop.p99} | ${r.sequential.p50} | ` +
      `${c.server} / ${c.worker} / ${c.client} / ${c.database} | ${t.startToCloseTimeouts} + ${t.stickyTimeouts} sticky of ${t.completed} | ${r.storeCheck.ok ? 'ok' : 'FAILED'} |`
    );
  });
  return [head, '| --- | --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const program = new Command('bench:saga')
    .option('--workflows <n>', 'closed-loop workflows', positiveInt('--workflows'), 2000)
    .option('--concurrency <n>', 'closed-loop clients', positiveInt('--concurrency'), 32)
    .option('--sequential <n>', 'sequential workflows', positiveInt('--sequential'), 200)
    .option('--warmup <n>', 'warm-up workflows before each phase', positiveInt('--warmup'), 200)
    .option('--store <kind>', 'sqlite or postgres', 'sqlite')
    .option('--fail-rate <rate>', 'share of orders whose shipment fails (0-1)', (v) => {
      const n = Number(v);
      if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`--fail-rate must be between 0 and 1; got "${v}"`);
      return n;
    }, 0)
    .option('--configs <list>', `comma-separated, of ${Object.keys(CONFIGS).join(', ')}`, Object.keys(CONFIGS).join(','))
    .option('--dynamic-config <key=value>', "a dev server dynamic config value added to every configuration's (repeatable), to measure one lever", (v: string, prev: string[]) => {
      if (!/^[\w.]+=.+$/.test(v)) throw new InvalidArgumentError(`--dynamic-config must be KEY=VALUE; got "${v}"`);
      return [...prev, v];
    }, [] as string[])
    .option('--workflow-task-timeout <duration>', "the runs' workflow task timeout (default: the server's), to measure how many tasks a loaded worker lets time out", (v: string) => {
      let ms = NaN;
      try {
        ms = msToNumber(v as Parameters<typeof msToNumber>[0]);
      } catch {
        // reported below
      }
      if (!(ms >= 1)) throw new InvalidArgumentError(`--workflow-task-timeout must be a duration such as "1s" or "500ms"; got "${v}"`);
      return ms;
    })
    .option('--target <dev|cluster>', 'dev: a fresh dev server per configuration; cluster: the running cluster of "steadfast cluster up"', 'dev')
    .option('--cluster-dir <dir>', "the cluster's folder (default .steadfast/cluster)")
    .option('--json', 'print the results as JSON')
    .exitOverride();
  try {
    program.parse(argv);
  } catch {
    return 2;
  }
  const opts = program.opts<{ workflows: number; concurrency: number; sequential: number; warmup: number; store: string; failRate: number; configs: string; dynamicConfig: string[]; workflowTaskTimeout?: number; target: string; clusterDir?: string; json?: boolean }>();
  const keys = opts.configs.split(',').map((k) => k.trim()).filter(Boolean);
  const unknown = keys.filter((k) => !CONFIGS[k]);
  if (unknown.length) {
    console.error(`--configs: unknown configuration(s) ${unknown.join(', ')}; expected some of ${Object.keys(CONFIGS).join(', ')}`);
    return 2;
  }
  if (opts.target !== 'dev' && opts.target !== 'cluster') {
    console.error(`--target must be dev or cluster; got "${opts.target}"`);
    return 2;
  }
  const cluster = opts.target === 'cluster' ? readClusterState(opts.clusterDir) : undefined;
  if (opts.target === 'cluster' && !cluster) {
    console.error(`--target cluster: no cluster in ${opts.clusterDir ?? '.steadfast/cluster'}; start one with "npx steadfast cluster up"`);
    return 2;
  }
  if (cluster && opts.dynamicConfig.length) {
    console.error('--dynamic-config applies to the dev server only; a cluster reads its dynamic config file');
    return 2;
  }
  if (opts.store !== 'sqlite' && opts.store !== 'postgres') {
    console.error(`--store must be sqlite or postgres; got "${opts.store}"`);
    return 2;
  }
  installRuntime('ERROR');
  const log = (line: string) => console.error(`[bench:saga] ${line}`);
  const pg = opts.store === 'postgres' ? benchPostgres() : undefined;
  const storeUrl = pg?.url ?? 'sqlite';
  const pgDataDir = pg?.dataDir;
  const bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-bench-saga-bundle-'));
  const bundles = { steadfast: path.join(bundleDir, 'steadfast.js'), lean: path.join(bundleDir, 'lean.js'), plain: path.join(bundleDir, 'plain.js') };
  const results: ConfigResult[] = [];
  try {
    const steadfastSource = { workflowsPath: require.resolve('./saga/workflows') };
    fs.writeFileSync(bundles.steadfast, (await workflowBundle(steadfastSource, [], { stepContext: true })).code);
    fs.writeFileSync(bundles.lean, (await workflowBundle(steadfastSource, [], { stepContext: false })).code);
    // The plain worker runs no Steadfast interceptor and its workflow imports nothing from
    // Steadfast: its bundle is the SDK's own.
    const plain = await bundleWorkflowCode({ workflowsPath: require.resolve('./saga/plain-workflows'), logger: QUIET_BUNDLER });
    fs.writeFileSync(bundles.plain, plain.code);
    for (const key of keys) {
      if (pgDataDir || storeUrl !== 'sqlite') {
        // A fresh table per configuration, so each check sees only its own rows.
        const s = openStore(storeUrl);
        await s.run('DROP TABLE IF EXISTS bench_saga_effects');
        await s.close();
      }
      results.push(await runConfig(key, { ...opts, storeUrl, pgDataDir, bundles, cluster }, log));
    }
  } finally {
    fs.rmSync(bundleDir, { recursive: true, force: true });
    pg?.stop();
  }
  const ratio = (a: string, b: string) => {
    const x = results.find((r) => r.config === a);
    const y = results.find((r) => r.config === b);
    return x && y ? Math.round((1 - x.closedLoop.wfPerSec / y.closedLoop.wfPerSec) * 1000) / 10 : undefined;
  };
  const summary = {
    target: cluster ? `cluster: ${cluster.nodes.length} nodes, ${cluster.numHistoryShards} shards, PostgreSQL (server options of the configurations not applied)` : 'dev server',
    machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`,
    options: {
      workflows: opts.workflows,
      concurrency: opts.concurrency,
      sequential: opts.sequential,
      warmup: opts.warmup,
      store: opts.store,
      failRate: opts.failRate,
      dynamicConfig: opts.dynamicConfig,
      workflowTaskTimeoutMs: opts.workflowTaskTimeout,
    },
    results,
    overheadPercent: { defaults: ratio('steadfast', 'defaults'), tuned: ratio('tuned', 'plain-tuned'), lean: ratio('lean', 'plain-tuned') },
    speedupOverDefaults: (() => {
      const base = results.find((r) => r.config === 'defaults');
      return Object.fromEntries(results.map((r) => [r.config, base ? Math.round((r.closedLoop.wfPerSec / base.closedLoop.wfPerSec) * 10) / 10 : undefined]));
    })(),
  };
  if (opts.json) console.log(JSON.stringify(summary, null, 2));
  else {
    console.log(`target: ${summary.target}; machine: ${summary.machine}; store ${opts.store}; fail rate ${opts.failRate}`);
    console.log(table(results));
    console.log(
      `Steadfast overhead vs plain Temporal (wf/s): defaults ${summary.overheadPercent.defaults ?? '-'} %, tuned ${summary.overheadPercent.tuned ?? '-'} %, ` +
        `lean (tuned, no step context) ${summary.overheadPercent.lean ?? '-'} %`,
    );
    console.log(`speed-up over plain-Temporal defaults: ${JSON.stringify(summary.speedupOverDefaults)}`);
    for (const r of results) if (!r.storeCheck.ok) console.log(`${r.config}: store check FAILED:\n  ${r.storeCheck.problems.join('\n  ')}`);
  }
  return results.every((r) => r.storeCheck.ok) ? 0 : 1;
}

if (require.main === module) {
  main(process.argv).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
