/**
 * `runChaos`: N workflow runs under a fault schedule, on a dev server of its own (127.0.0.1 only)
 * with several worker processes, measured from real events and checked against invariants.
 *
 *   seed ──► fault plans (memo) + kill schedule ──► dev server + worker processes
 *        ──► loop: start runs as they arrive, kill/respawn workers, sample runs (attempt observer), scrape metrics
 *        ──► histories ──► fault records ──► metrics + invariants ──► report (summary, JSON, HTML)
 *
 * With `target: 'cluster'` the runs go to the cluster of `steadfast cluster up` instead (through its
 * load balancer), and `nodeKills` SIGKILLs server nodes there, each restarted after `nodeDownSeconds`.
 *
 * Bounded: at most `workflows` runs, `kills` kills, one server restart, `nodeKills` node kills, `timeLimitSeconds` in all;
 * then every process it started is stopped.
 *
 * The workflow code is bundled once per run (`workflow-bundle.js` in the run's directory) and every
 * worker process, replacements too, loads that file, so a replacement polls within seconds.
 *
 * Every planned kill is carried out, on a ready (polling) worker, while work is in flight. The runs
 * start evenly over the kill window, the last at its end. A kill whose moment has come waits until
 * the pool is whole again (the previous victim's replacement polling), so kills never bunch; runs
 * due after a waiting kill wait with it, so runs remain to start after every kill (bounded by the
 * time limit).
 */
import { randomInt } from 'node:crypto';
import path from 'node:path';
import { Client, Connection, isGrpcServiceError, NamespaceNotFoundError, WorkflowExecutionAlreadyStartedError, type WorkflowHandle } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { SingleBar, Presets } from 'cli-progress';
import { loadProject } from '../config/load';
import { workflowBundle } from '../worker/create-worker';
import { openStore, type EffectStore } from '../activity/store';
import { fetchDecodedHistory, loadCodecKeys, steadfastDataConverter } from '../codec';
import { STATE_DIR } from '../platform/config';
import { makePrivateDir, writePrivateFile } from '../platform/private-files';
import { freePort, startDevServer, type TemporalHandle } from '../platform/servers';
import { workflowStartOptions } from '../common/failover';
import { FAULT_PLAN_MEMO_KEY } from '../common/fault-plan';
import { DEFAULT_CLUSTER_DIR, NodeKiller, nodeKillFaults, readClusterState, shardOfWorkflow, type ClusterState, type RunOnShard } from '../cluster';
import { AttemptObserver } from './attempt-observer';
import { extractFaultRecords, failureTypeOf, killsNoticed } from './fault-records';
import { runRecordOf } from '../client/run-record';
import { checkInvariants, defaultInvariants, type InvariantCheck } from './invariants';
import { computeMetrics, type FaultRecord } from './metrics';
import { ChaosUsageError, parseChaosOptions, type ChaosOptions } from './options';
import { drawFaultPlan, drawSchedule, Rng, type ChaosFaultPlan } from './plan';
import { scrape, workerCounters } from './prometheus';
import { outcomesByType, type ChaosReport, type ServerRestartRecord, type WorkerSummary } from './report';
import { renderReportHtml } from './report-html';
import { SupervisedWorkerPool, WorkerPool, type ChaosWorkerPool, type PooledWorker } from './worker-pool';
import { outcomeMatches, projectChaosTypes, type ChaosRunDraw, type ChaosWorkflowType, type ExpectedOutcome, type RunRecord } from './workflow-types';

/** Seams for callers: more invariants (e.g. a store-wide `verify`), more workflow types. */
export interface ChaosExtensions {
  /** Checks run after the built-in ones and those the workflow types bring. */
  invariants?: readonly InvariantCheck[];
  /** Workflow types in addition to (or replacing, by name) the built-in registry. */
  types?: Readonly<Record<string, ChaosWorkflowType>>;
  /** Called with a line of news (seed, directory) before the run starts; default: stderr. */
  log?: (line: string) => void;
}

const STATUS = temporal.api.enums.v1.WorkflowExecutionStatus;

interface PlannedRun extends DrawnRun {
  handle?: WorkflowHandle;
  status: string;
  startedAt?: number;
  closedAt?: number;
}

function statusName(s: number | null | undefined): string {
  const name = s === null || s === undefined ? undefined : STATUS[s];
  return name ? name.replace('WORKFLOW_EXECUTION_STATUS_', '').toLowerCase() : 'unknown';
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
}

/** One run as the seed fixes it, before it starts. */
export interface DrawnRun extends ChaosRunDraw {
  workflowId: string;
  type: ChaosWorkflowType;
  plan: ChaosFaultPlan;
  expected: ExpectedOutcome;
}

/** Everything a seed fixes: the runs (type, fault plan, input, expected outcome) and the schedule. */
export interface ChaosPlan {
  runs: DrawnRun[];
  /**
   * When each run starts, ms after the first: evenly over the kill window, the last at its end, so
   * work is in flight throughout the window and runs remain to start after every kill moment.
   */
  startAt: number[];
  /** Kill moments, ms after the first run started, ascending, within the window (before its end). */
  killAt: number[];
  /** For each kill, which live worker (a fraction of the live list). */
  victims: number[];
  /** The server restart moment, ms after the runs started, when asked for. */
  restartAt?: number;
  /** Server-node kill moments (cluster target), ms after the runs started, ascending. */
  nodeKillAt: number[];
  /** For each node kill, which running node (a fraction of the list). */
  nodeVictims: number[];
}

/**
 * Draws every random choice of a chaos run from `seed`, in a fixed order (each run's fault plan
 * and input, then the kill schedule, the restart, the victims), so the seed alone fixes them.
 * Pure: tests use it to pick a seed whose mix covers what they need.
 */
export function planChaos(options: ChaosOptions, types: Readonly<Record<string, ChaosWorkflowType>>, seed: number): ChaosPlan {
  const rng = new Rng(seed);
  const runs = Array.from({ length: options.workflows }, (_, index): DrawnRun => {
    const type = types[options.types[index % options.types.length]];
    const workflowId = `chaos-${seed}-${type.name}-${index}`;
    const plan = drawFaultPlan(rng, type.faultableActivities, options.rates);
    const draw = type.draw({ workflowId, index, rng });
    return { workflowId, type, plan, ...draw, expected: type.expected(plan, draw) };
  });
  const windowMs = options.killWindowSeconds * 1000;
  const killAt = drawSchedule(rng, options.kills, Math.min(500, windowMs / 2), windowMs);
  const restartAt = options.serverRestart ? drawSchedule(rng, 1, Math.min(1_000, windowMs / 2), windowMs)[0] : undefined;
  const victims = killAt.map(() => rng.float());
  // Drawn last, so that adding node kills changes none of the choices above.
  const nodeKillAt = drawSchedule(rng, options.nodeKills, Math.min(1_000, windowMs / 2), windowMs);
  const nodeVictims = nodeKillAt.map(() => rng.float());
  // Not drawn: the arrivals are even, so they change none of the seed's choices.
  const startAt = runs.map((_, i) => (runs.length > 1 ? Math.round((windowMs * i) / (runs.length - 1)) : 0));
  return { runs, startAt, killAt, victims, restartAt, nodeKillAt, nodeVictims };
}

/**
 * Runs a chaos experiment and returns its report (also written as HTML to `reportFile`).
 * @throws ChaosUsageError on bad options (exit code 2 for the CLI)
 */
export async function runChaos(input: unknown, ext: ChaosExtensions = {}): Promise<ChaosReport> {
  const types = { ...projectChaosTypes(), ...ext.types };
  const options: ChaosOptions = parseChaosOptions(input, Object.keys(types));
  const log = ext.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const seed = options.seed ?? randomInt(0, 2 ** 31 - 1);
  const dir = path.join(STATE_DIR, 'chaos', `${stamp()}-seed${seed}`);
  makePrivateDir(dir);
  const reportFile = path.resolve(options.reportFile ?? path.join(dir, 'report.html'));
  log(`chaos: seed ${seed} (repeat with --seed ${seed}); files in ${dir}`);

  const taskQueue = `chaos-${seed}`;
  const { runs: drawn, startAt, killAt, restartAt, victims, nodeKillAt, nodeVictims } = planChaos(options, types, seed);
  const runs: PlannedRun[] = drawn.map((r) => ({ ...r, status: 'pending' }));

  const deadline = Date.now() + options.timeLimitSeconds * 1000;
  const startedAt = Date.now();
  const port = await freePort();
  const dbFilename = path.join(dir, 'temporal.db');
  let cluster: ClusterState | undefined;
  let server: TemporalHandle | undefined;
  if (options.target === 'cluster') {
    const clusterDir = path.resolve(options.clusterDir ?? DEFAULT_CLUSTER_DIR);
    cluster = readClusterState(clusterDir);
    if (!cluster) throw new ChaosUsageError(`invalid chaos options:\n  clusterDir: no cluster in ${clusterDir}; start one with "steadfast cluster up"`);
  } else {
    server = await startDevServer({ port, dbFilename });
  }
  const address = cluster?.address ?? server!.address;
  const namespace = cluster?.namespace ?? server!.namespace;
  // The harness's own connection, not the server handle's: it must outlive a server restart.
  const connection = await Connection.connect({ address });
  // Its worker processes inherit the codec keys from the environment; so does this client.
  const client = new Client({ connection, namespace, dataConverter: steadfastDataConverter(loadCodecKeys()) });
  const nodeKiller = cluster ? new NodeKiller(cluster, nodeKillAt, nodeVictims, options.nodeDownSeconds * 1000, log) : undefined;
  const storeUrl = options.store ?? `sqlite:${path.join(dir, 'effects.db')}`;
  let store: EffectStore | undefined;
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  const workerEnv: Record<string, string> = options.stickyTimeout ? { STEADFAST_STICKY_TIMEOUT: String(options.stickyTimeout) } : {};
  const project = loadProject();
  const pool: ChaosWorkerPool = options.supervisor
    ? new SupervisedWorkerPool({
        address,
        namespace,
        taskQueue,
        storeUrl,
        project,
        env: workerEnv,
        onEvent: (e) => {
          if (e.event === 'recovered') log(`chaos: supervisor: worker ${e.identity} exited; ${e.failed} attempt(s) failed over (${e.unreported} not reported by it), ${e.stickyReset} sticky queue(s) reset, ${e.stickyDrained} queued task(s) drained${e.stickyQueue || e.stickyReset === 0 ? '' : ' (its sticky queue not known)'}, in ${e.ms} ms`);
        },
      })
    : new WorkerPool({ address, namespace, taskQueue, storeUrl, logDir: dir, client, bundlePath, env: workerEnv });
  const observer = new AttemptObserver(client, namespace);
  const lastCounters = new Map<string, Record<string, number>>();
  const restarts: ServerRestartRecord[] = [];
  const showProgress = options.progress ?? (!options.json && Boolean(process.stderr.isTTY));
  const bar = new SingleBar(
    {
      format: 'chaos [{bar}] {value}/{total} runs closed | kills {kills}/{maxKills} | {elapsed}s',
      stream: process.stderr,
      hideCursor: true,
      noTTYOutput: false,
    },
    Presets.shades_classic,
  );

  try {
    // A supervisor builds its own bundle, with its supervision module.
    if (!options.supervisor) writePrivateFile(bundlePath, (await workflowBundle(project)).code);
    store = openStore(storeUrl);
    await project.prepareStore?.(store);
    for (const run of runs) await run.type.seed?.(store, run);
    await pool.startAll(options.workers);

    const t0 = Date.now();
    if (showProgress) bar.start(runs.length, 0, { kills: 0, maxKills: options.kills, elapsed: 0 });

    // Runs arrive evenly over the kill window (`startAt`), a batch at a time, in order.
    let nextRun = 0;
    let starting: Promise<void> = Promise.resolve();
    let startFailed: Error | undefined;
    const startBatch = (batch: PlannedRun[]) => {
      for (const r of batch) r.status = 'running';
      starting = starting.then(() => startRuns(client, batch, taskQueue, deadline, log, options.workflowTaskTimeout)).catch((err: Error) => {
        startFailed ??= err;
      });
    };
    let nextKill = 0;
    // A kill waits until the pool is whole again: with replacements, until the previous victim's
    // replacement polls, so kills never bunch (one process crash at a time, which is what failover
    // is measured for); without, until it leaves a ready survivor for the victim's work to move to.
    // (With --workers 1 and no replacements the only worker is the victim, as asked.)
    const readyNeeded = options.supervisor || options.respawn ? options.workers : Math.min(2, options.workers);
    let lastScrape = 0;
    const respawning: Array<Promise<unknown>> = [];
    while (runs.some((r) => r.status === 'pending' || r.status === 'running') && Date.now() < deadline) {
      if (startFailed) throw startFailed;
      const since = Date.now() - t0;
      while (nextKill < killAt.length && since >= killAt[nextKill] && pool.ready().length >= readyNeeded) {
        const ready = pool.ready();
        const victim = ready[Math.floor(victims[nextKill] * ready.length)];
        await scrapeInto(victim, lastCounters);
        pool.kill(victim).survivors = pool.ready().length;
        // A supervisor starts its killed children's replacements itself.
        if (options.respawn && pool instanceof WorkerPool) respawning.push(respawn(pool, deadline, log));
        nextKill++;
      }
      // A run due after a kill that is still waiting waits too: every planned kill is carried out
      // while runs remain to start (the last starts at the window's end, after every kill moment).
      const gate = nextKill < killAt.length ? killAt[nextKill] : Infinity;
      const due: PlannedRun[] = [];
      while (nextRun < runs.length && startAt[nextRun] <= since && startAt[nextRun] <= gate) due.push(runs[nextRun++]);
      if (due.length) startBatch(due);
      await nodeKiller?.tick(since).catch((err) => log(`chaos: node kill: ${(err as Error).message}`));
      if (restartAt !== undefined && !restarts.length && since >= restartAt) {
        const stoppedAt = Date.now();
        await server?.close();
        server = undefined;
        server = await restartDevServer(port, dbFilename, deadline, log);
        restarts.push({ stoppedAt, upAt: Date.now() });
      }
      await Promise.all(
        runs
          .filter((r) => r.status === 'running' && r.handle)
          .map(async (r) => {
            const d = await observer.sample(r.workflowId).catch(() => undefined);
            const info = d?.workflowExecutionInfo;
            if (info && info.status !== STATUS.WORKFLOW_EXECUTION_STATUS_RUNNING) {
              r.status = statusName(info.status);
            }
          }),
      );
      if (Date.now() - lastScrape > 2_000) {
        lastScrape = Date.now();
        await Promise.all(pool.live().map((w) => scrapeInto(w, lastCounters)));
      }
      if (showProgress) {
        bar.update(runs.filter((r) => r.status !== 'pending' && r.status !== 'running').length, {
          kills: pool.kills.length,
          elapsed: Math.round((Date.now() - startedAt) / 1000),
        });
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    if (showProgress) bar.stop();
    // At the time limit, runs not yet started start now (one attempt each), to be reported open.
    const late = runs.filter((r) => r.status === 'pending');
    if (late.length) startBatch(late);
    await starting;
    if (startFailed) throw startFailed;
    // A killed node comes back and rejoins before the books are closed (bounded by the deadline).
    await nodeKiller?.settle(Math.max(deadline, Date.now() + 60_000));
    await Promise.all(respawning);
    await Promise.all(pool.live().map((w) => scrapeInto(w, lastCounters)));

    // Measure and check, from the histories.
    const records: RunRecord[] = [];
    const faults: FaultRecord[] = [];
    // Moments when some run made progress (a task completed): a server restart is recovered at
    // the first of them after the server is back.
    const progress: number[] = [];
    const onShards: RunOnShard[] = [];
    for (const run of runs) {
      const d = await run.handle!.describe();
      // Every run of the chain, from the first: a line that continued as new is checked across runs.
      const chain = await runChain(client, run.workflowId, d.raw.workflowExecutionInfo?.firstRunId || d.runId);
      const events = chain.at(-1)?.events ?? [];
      for (const e of chain.flatMap((r) => r.events)) {
        if (e.workflowTaskCompletedEventAttributes || e.activityTaskCompletedEventAttributes) progress.push(optionalTsToMs(e.eventTime) ?? 0);
      }
      // How the run ended is read from its last run; the chain adds when it started and its runs.
      const record = await recordOfRun(run, run.handle!, events, namespace);
      const { outcomeCorrect } = record;
      records.push({
        ...record,
        startedAt: optionalTsToMs(chain[0]?.events[0]?.eventTime) ?? record.startedAt,
        runs: chain.map((r) => ({ runId: r.runId, status: r.status })),
      });
      if (cluster) {
        const shard = await shardOfWorkflow(cluster.postgres.url, run.workflowId, cluster.databases.database).catch(() => undefined);
        onShards.push({ workflowId: run.workflowId, workflowType: run.type.name, shard, events: chain.flatMap((r) => r.events), outcomeCorrect });
      }
      for (const r of chain) {
        faults.push(
          ...extractFaultRecords(r.events, {
            workflowId: run.workflowId,
            runId: r.runId,
            workflowType: run.type.name,
            outcomeCorrect,
            kills: pool.kills,
            attemptFailures: observer.failures(),
            businessRejections: run.type.businessRejections,
          }),
        );
      }
    }
    const allCorrect = records.every((r) => r.outcomeCorrect);
    faults.push(
      ...restarts.map((r) => ({
        kind: 'server-restart' as const,
        step: 'Temporal server',
        injectedAt: r.stoppedAt,
        // Every client and worker sees a stopped server at once (connections are refused).
        detectedAt: r.stoppedAt,
        recoveredAt: progress.filter((t) => t >= r.upAt).sort((a, b) => a - b)[0],
        outcomeCorrect: allCorrect,
      })),
    );
    if (nodeKiller) faults.push(...nodeKillFaults(nodeKiller.kills, onShards));
    faults.sort((a, b) => (a.injectedAt ?? a.detectedAt ?? 0) - (b.injectedAt ?? b.detectedAt ?? 0));

    // The observation window: from the first run's start to the last run's close (or to now,
    // when a run is still open at the time limit).
    const start = Math.min(...records.map((r) => r.startedAt!));
    const end = records.every((r) => r.closedAt !== undefined) ? Math.max(...records.map((r) => r.closedAt!)) : Date.now();
    const window = { start, end: Math.max(end, start + 1) };
    const checks = defaultInvariants(types, [...new Set(runs.map((r) => r.type.name))], ext.invariants);
    const invariants = await checkInvariants(checks, { store, runs: records, types });
    const killed = new Set(pool.kills.map((k) => k.workerIdentity));
    const workers: WorkerSummary[] = pool.workers.map((w) => ({
      identity: w.identity,
      pid: w.pid,
      killed: killed.has(w.identity),
      readyAt: w.readyAt,
      counters: lastCounters.get(w.identity) ?? {},
    }));
    const report: ChaosReport = {
      seed,
      options,
      server: address,
      startedAt,
      finishedAt: Date.now(),
      window,
      runs: records,
      outcomesByType: outcomesByType(records),
      faults,
      metrics: computeMetrics(faults, window),
      invariants,
      passed: invariants.every((v) => v.holds),
      kills: killsNoticed(pool.kills, faults),
      killsPlanned: killAt.length,
      serverRestarts: restarts,
      nodeKills: nodeKiller?.kills ?? [],
      workers,
      reportFile,
    };
    makePrivateDir(path.dirname(reportFile));
    writePrivateFile(reportFile, renderReportHtml(report));
    return report;
  } finally {
    if (showProgress) bar.stop();
    await pool.stopAll().catch((err) => log(`chaos: stopping workers failed: ${(err as Error).message}`));
    await store?.close().catch((err) => log(`chaos: closing the store failed: ${(err as Error).message}`));
    await connection.close().catch(() => undefined);
    await server?.close().catch((err) => log(`chaos: stopping the server failed: ${(err as Error).message}`));
  }
}

/**
 * The histories of every run of a workflow's chain, from its first run, following continue-as-new.
 * A run's status is how its history ends (`continued_as_new`, `completed`, `failed`, …, or `running`).
 */
async function runChain(client: Client, workflowId: string, firstRunId: string | undefined) {
  const chain: Array<{ runId: string; status: string; events: temporal.api.history.v1.IHistoryEvent[] }> = [];
  let runId = firstRunId;
  while (runId && chain.length < 1_000) {
    // Decrypted with the harness's codec (its workers inherit the same keys).
    const events = (await fetchDecodedHistory(client.workflow.getHandle(workflowId, runId))).events ?? [];
    const last = events.at(-1);
    const next = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    chain.push({ runId, status: closingStatus(last), events });
    runId = next;
  }
  return chain;
}

function closingStatus(e: temporal.api.history.v1.IHistoryEvent | undefined): string {
  if (!e) return 'running';
  if (e.workflowExecutionContinuedAsNewEventAttributes) return 'continued_as_new';
  if (e.workflowExecutionCompletedEventAttributes) return 'completed';
  if (e.workflowExecutionFailedEventAttributes) return 'failed';
  if (e.workflowExecutionCanceledEventAttributes) return 'canceled';
  if (e.workflowExecutionTerminatedEventAttributes) return 'terminated';
  if (e.workflowExecutionTimedOutEventAttributes) return 'timed_out';
  return 'running';
}

/**
 * Calls `fn` until it resolves. A failure that `retryable` accepts (default: any) is logged and tried
 * again after `delayMs(attempt)`, until the chaos run's deadline; then, or for any other failure, it is thrown.
 */
async function retryUntil<T>(
  what: string,
  deadline: number,
  log: (line: string) => void,
  fn: (attempt: number) => Promise<T>,
  { retryable = () => true, delayMs }: { retryable?: (err: unknown) => boolean; delayMs: (attempt: number) => number },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!retryable(err) || Date.now() >= deadline) throw err;
      const wait = delayMs(attempt);
      log(`chaos: ${what} (attempt ${attempt}) failed: ${(err as Error).message}; retrying in ${wait} ms`);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/**
 * Starts the dev server again on its port and database file. A loaded machine can make the server
 * miss its own start-up deadline on a large file, so a failed start is retried: a restart fault
 * never ends the run by itself.
 */
function restartDevServer(port: number, dbFilename: string, deadline: number, log: (line: string) => void): Promise<TemporalHandle> {
  return retryUntil('restarting the server', deadline, log, () => startDevServer({ port, dbFilename }), { delayMs: () => 0 });
}

/** Replaces a killed worker; a replacement that exits or never polls (e.g. during the server restart) is replaced in turn, until the deadline. */
async function respawn(pool: WorkerPool, deadline: number, log: (line: string) => void): Promise<void> {
  await retryUntil('respawning a worker', deadline, log, () => pool.start(), { delayMs: () => 1_000 }).catch((err: Error) =>
    log(`chaos: respawning a worker failed for good: ${err.message}`),
  );
}

/** How many starts are in flight at once: enough to start a thousand runs in seconds, few enough for a busy dev server. */
const START_CONCURRENCY = 16;

/** gRPC status codes: UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED. */
const TRANSIENT_GRPC_CODES = [14, 4, 8];

/**
 * A start refused by a busy or restarting server, which the same start may pass later: the gRPC codes
 * of an overloaded frontend, and a namespace not (yet) in the registry of a server that just came up
 * on its database file.
 */
function transientStartError(err: unknown): boolean {
  if (err instanceof NamespaceNotFoundError) return true;
  const cause = err instanceof Error && isGrpcServiceError(err.cause) ? err.cause : isGrpcServiceError(err) ? err : undefined;
  return !!cause && TRANSIENT_GRPC_CODES.includes(cause.code);
}

/**
 * Starts every run, `START_CONCURRENCY` at a time. A start that meets a transient server error is
 * retried with backoff until the deadline; a retry that finds the run already started (the first
 * attempt reached the server) takes that run. Any other error ends the chaos run.
 */
async function startRuns(
  client: Client,
  runs: PlannedRun[],
  taskQueue: string,
  deadline: number,
  log: (line: string) => void,
  workflowTaskTimeout: Duration | undefined,
): Promise<void> {
  const startOne = (run: PlannedRun): Promise<WorkflowHandle> =>
    retryUntil(
      `starting ${run.workflowId}`,
      deadline,
      log,
      (attempt) =>
        client.workflow
          .start(run.type.name, {
            taskQueue,
            workflowId: run.workflowId,
            args: run.args,
            memo: { [FAULT_PLAN_MEMO_KEY]: run.plan },
            ...workflowStartOptions(),
            ...(workflowTaskTimeout ? { workflowTaskTimeout } : {}),
          })
          .catch((err: unknown) => {
            if (err instanceof WorkflowExecutionAlreadyStartedError && attempt > 1) return client.workflow.getHandle(run.workflowId);
            throw err;
          }),
      { retryable: transientStartError, delayMs: (attempt) => Math.min(5_000, 100 * 2 ** attempt) },
    );
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(START_CONCURRENCY, runs.length) }, async () => {
      while (next < runs.length) {
        const run = runs[next++];
        run.handle = await startOne(run);
      }
    }),
  );
}

/**
 * How a run ended, from its history and its description: the record the invariants check.
 * `events` is the run's full history.
 */
export async function recordOfRun(
  run: DrawnRun,
  handle: WorkflowHandle,
  events: readonly temporal.api.history.v1.IHistoryEvent[],
  namespace: string = handle.client.options.namespace,
): Promise<RunRecord> {
  const d = await handle.describe();
  const closing = events[events.length - 1];
  const failureType = failureTypeOf(closing?.workflowExecutionFailedEventAttributes?.failure);
  const result = closing?.workflowExecutionCompletedEventAttributes ? await handle.result().catch(() => undefined) : undefined;
  const status = d.status.name === 'RUNNING' ? 'running' : d.status.name.toLowerCase();
  const outcomeCorrect = outcomeMatches(run.expected, status, failureType);
  return {
    workflowId: run.workflowId,
    namespace,
    firstExecutionRunId: d.raw.workflowExecutionInfo?.firstRunId || d.runId,
    workflowType: run.type.name,
    plan: run.plan,
    args: run.args,
    world: run.world,
    expected: run.expected,
    status,
    failureType,
    // A saga that could not undo a step says which compensations failed (verifyStore needs them).
    failedCompensations: status === 'failed' ? (await runRecordOf(handle)).failedCompensations : undefined,
    result,
    startedAt: d.startTime.getTime(),
    closedAt: d.closeTime?.getTime(),
    outcomeCorrect,
  };
}

async function scrapeInto(w: PooledWorker, into: Map<string, Record<string, number>>): Promise<void> {
  try {
    into.set(w.identity, workerCounters(await scrape(w.metricsUrl, 1_000)));
  } catch {
    // A worker that is starting or dying may not answer; its last scrape stands.
  }
}
