/**
 * `npm run bench:failover [-- --kills 21 --deadline 20m --profile steadfast,temporal-defaults,supervisor]`:
 * how long a `productionBatch` run takes to recover when a worker process is SIGKILLed, per profile,
 * all lanes side by side on one dev server on 127.0.0.1:
 *
 *   steadfast          Steadfast's failover settings (timeouts only)
 *   temporal-defaults  what a team gets by leaving Temporal's defaults
 *   supervisor         Steadfast's settings with the workers under a `FailoverSupervisor`: a dead
 *                      worker's in-flight attempts are failed at once, its sticky queues reset
 *
 * Each lane keeps three worker processes (`workers/main.ts`, with its profile) and kills one per
 * round, cycling through four kinds of fault:
 *
 *   stage          the worker running a checkpointed stage dies mid-stage
 *                  → recovery bound by the heartbeat timeout (defaults: the start-to-close timeout)
 *   short          the worker running a short activity (reserveMaterials) dies after its effect
 *                  committed, before it replied → bound by the activity's start-to-close timeout
 *   workflow-task  the worker dies holding a workflow task (crash point `workflow-task.runStage`)
 *                  → bound by the workflow task timeout
 *   sticky         the worker that has the run cached (its sticky queue) dies just as a stage
 *                  finishes on another worker → bound by the sticky schedule-to-start timeout.
 *                  A worker normally runs the stages its own workflow tasks schedule (eager
 *                  activity dispatch), so in these rounds the fault plan fails each stage's first
 *                  attempt: retries go through the task queue and land on any worker.
 *
 * Recovery time = from the kill to the next step (an attempt of `runStage`) starting on a
 * surviving worker, read from the crash-point markers the workers print. It prints p50, p95 and max
 * per lane and per kind. It prints figures; it never passes or fails on time. Every wait has a
 * deadline, and the whole run stops at `--deadline`.
 *
 * Nothing lost, nothing doubled: after each round the step that was hit must finish (every chunk of
 * the stage, or the reservation, in the store), and at the end no effect key may hold two rows. A
 * failed store check makes the exit code 1.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { WorkflowHandle } from '@temporalio/client';
import { msToNumber } from '@temporalio/common/lib/time';
import { openStore, type EffectStore } from 'steadfast/activity';
import {
  firstMarker,
  startDevServer,
  uniqueId,
  waitUntil,
  WorkerProcess,
  writeCrashPointBundle,
  type TemporalHandle,
} from 'steadfast/testing';
import { installRuntime } from '../src/platform/runtime';
import { arm, release, type CrashPointMarker } from '../src/worker/crash-points';
import { failoverSettings, workflowStartOptions, type FailoverProfile } from '../src/common/failover';
import { FailoverSupervisor, supervisedBundle } from '../src/worker/supervisor';
import { productionBatch } from '../workflows';
import { FAILOVER_PROFILE_MEMO_KEY, type FailoverProfileMemo } from '../src/workflow/failover-profile';
import { FAULT_PLAN_MEMO_KEY, type FaultPlan } from '../src/common/fault-plan';
import { prepareStore } from '../activities';
import { stageAttempts } from '../activities/production';
import project from '../steadfast.config';

const KINDS = ['stage', 'short', 'workflow-task', 'sticky'] as const;
type Kind = (typeof KINDS)[number];

const STAGES = ['s1', 's2', 's3', 's4', 's5', 's6'];
const UNITS = 40;
const CHUNK_UNITS = 5;
const UNIT_MS = 50; // 2 s per stage
/** A `stage` round kills the worker once the stage has committed this many units. */
const KILL_AT_UNITS = 25;
/** The defaults lane's stage timeout: with no heartbeat timeout, a team sets a few times the stage's 2 s. */
const DEFAULTS_STAGE_START_TO_CLOSE = '10 seconds';
const WAIT_MS = 60_000;
const WORKERS_PER_LANE = 3;
/** The reference application's worker process, and its project folder. */
const PROJECT_ROOT = path.join(__dirname, '..');
const WORKER_SCRIPT = path.join(PROJECT_ROOT, 'workers', 'main.ts');

interface Sample {
  kind: Kind;
  ms: number;
  /** For `stage`: the unit the retry resumed from (of the 10+ already done when the worker died). */
  resumedFrom?: number;
}

/** A lane: a failover profile, or Steadfast's profile under a supervisor. */
type LaneProfile = FailoverProfile | 'supervisor';
const LANE_PROFILES: LaneProfile[] = ['steadfast', 'temporal-defaults', 'supervisor'];

interface Env {
  temporal: TemporalHandle;
  store: EffectStore;
  storeFile: string;
  scratch: string;
  bundlePath: string;
  /** The crash-point bundle with the supervision module, for the supervisor lane. */
  supervisedBundlePath?: string;
  deadline: number;
  /** Overrides of the Steadfast profile's timeouts (`--workflow-task-timeout`, `--sticky-timeout`), in ms. */
  overrides: TimeoutOverrides;
}

interface TimeoutOverrides {
  workflowTaskTimeoutMs?: number;
  stickyTimeoutMs?: number;
}

class Lane {
  readonly taskQueue = uniqueId('failover-bench');
  readonly samples: Sample[] = [];
  readonly lost: string[] = [];
  private readonly dir: string;
  /** Store checks that failed: a step lost or an effect doubled. */
  readonly storeProblems: string[] = [];
  private pool: WorkerProcess[] = [];
  private spawned = 0;
  private readonly supervisor?: FailoverSupervisor;
  private readonly recoveries: { failed: number; stickyReset: number; stickyDrained: number; ms: number }[] = [];
  private lastRecovery?: { failed: number; alreadyDone: number; stickyReset: number; stickyDrained: number; errors: string[]; at: number };
  private lastKill = 0;
  private stopping = false;

  /** Stops the lane's supervisor, before its workers are killed at the end. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.supervisor?.stop();
  }

  constructor(
    readonly profile: LaneProfile,
    private readonly env: Env,
  ) {
    if (profile === 'supervisor') {
      this.supervisor = new FailoverSupervisor({
        client: env.temporal.client,
        onEvent: (e) => {
          if (e.event !== 'recovered' || this.stopping) return;
          this.recoveries.push(e);
          this.lastRecovery = { ...e, at: Date.now() };
        },
      });
    }
    this.dir = fs.mkdtempSync(path.join(env.scratch, `${profile}-`));
    for (let i = 0; i < WORKERS_PER_LANE; i++) this.pool.push(this.spawn());
  }

  /** The failover settings the lane's workers and runs use. */
  get failoverProfile(): FailoverProfile {
    return this.profile === 'supervisor' ? 'steadfast' : this.profile;
  }

  /** The timeout overrides apply to Steadfast's lanes, never to the Temporal-defaults comparison. */
  private get overridden(): boolean {
    return this.failoverProfile === 'steadfast';
  }

  /** What the supervisor did per kill: attempts failed, sticky queues reset, ms from exit to done. */
  get recoveryLog() {
    return this.recoveries;
  }

  private spawn(): WorkerProcess {
    const supervised = this.supervisor !== undefined;
    const worker = WorkerProcess.start({
      temporal: this.env.temporal,
      script: WORKER_SCRIPT,
      cwd: PROJECT_ROOT,
      taskQueue: this.taskQueue,
      storeUrl: `sqlite:${this.env.storeFile}`,
      identity: `${this.profile}-worker-${++this.spawned}`,
      crashPointsDir: this.dir,
      bundlePath: supervised ? this.env.supervisedBundlePath : this.env.bundlePath,
      supervised,
      env: {
        STEADFAST_FAILOVER_PROFILE: this.failoverProfile,
        ...(this.overridden && this.env.overrides.stickyTimeoutMs ? { STEADFAST_STICKY_TIMEOUT: `${this.env.overrides.stickyTimeoutMs}ms` } : {}),
      },
      // Three processes start at once; on a loaded 2-core machine that takes more than a minute.
      readyTimeoutMs: 240_000,
    });
    void this.supervisor?.watch(worker.child);
    return worker;
  }

  private disarmAll(): void {
    for (const f of fs.readdirSync(this.dir)) fs.rmSync(path.join(this.dir, f), { force: true });
  }

  private async start(kind: Kind): Promise<WorkflowHandle<typeof productionBatch>> {
    const lineId = uniqueId(`bench-${this.profile}`);
    const memo: Record<string, unknown> = {};
    if (this.profile === 'temporal-defaults') {
      memo[FAILOVER_PROFILE_MEMO_KEY] = {
        profile: 'temporal-defaults',
        stageStartToCloseTimeout: DEFAULTS_STAGE_START_TO_CLOSE,
      } satisfies FailoverProfileMemo;
    }
    if (kind === 'sticky') memo[FAULT_PLAN_MEMO_KEY] = { runStage: { kind: 'transient', times: 1 } } satisfies FaultPlan;
    return this.env.temporal.client.workflow.start(productionBatch, {
      taskQueue: this.taskQueue,
      workflowId: `production-${lineId}`,
      args: [{ lineId, product: 'bench part', batches: 1, unitsPerBatch: UNITS, stages: STAGES, unitMs: UNIT_MS, chunkUnits: CHUNK_UNITS }],
      ...workflowStartOptions(this.failoverProfile),
      ...(this.overridden && this.env.overrides.workflowTaskTimeoutMs ? { workflowTaskTimeout: this.env.overrides.workflowTaskTimeoutMs } : {}),
      memo,
    });
  }

  /** SIGKILLs the worker named `identity`; returns the kill time and the survivors. */
  private async kill(identity: string): Promise<{ t0: number; victim: WorkerProcess; survivors: WorkerProcess[] }> {
    const victim = this.pool.find((w) => w.identity === identity);
    if (!victim) throw new Error(`no live worker ${identity}`);
    const t0 = Date.now();
    this.lastKill = t0;
    victim.kill('SIGKILL');
    await victim.exited;
    this.pool = this.pool.filter((w) => w !== victim);
    return { t0, victim, survivors: [...this.pool] };
  }

  /** The step of a stage; idempotency keys are run-scoped (`…/run/<workflowId>/<runId>/<step>`). */
  private stageKey(_wf: string, stage: string) {
    return `batch-1/stage-${stage}`;
  }

  private async stageRound(wf: string): Promise<Sample> {
    const key = this.stageKey(wf, STAGES[0]);
    const started = await firstMarker(this.pool, (m) => m.point === 'activity-start' && onStep(m, wf, key), WAIT_MS);
    // Past the middle of the stage: a heartbeat has had time to reach the server (if the profile sends one).
    const fullKey = started.key!;
    await waitUntil(async () => ((await stageAttempts(this.env.store, fullKey))[0]?.units_to ?? 0) >= KILL_AT_UNITS, {
      timeoutMs: WAIT_MS,
      intervalMs: 20,
      what: `${KILL_AT_UNITS} units of the first stage`,
    });
    const { t0, survivors } = await this.kill(started.identity);
    const next = await firstMarker(survivors, (m) => m.point === 'activity-start' && onStep(m, wf, key) && (m.attempt ?? 0) >= 2, WAIT_MS);
    // The marker comes before the attempt writes its progress row.
    const resumed = await waitUntil(async () => (await stageAttempts(this.env.store, fullKey)).find((a) => a.attempt === next.attempt), {
      timeoutMs: WAIT_MS,
      what: 'the progress row of the retry',
    });
    return { kind: 'stage', ms: next.at - t0, resumedFrom: resumed.units_from };
  }

  private async shortRound(wf: string): Promise<Sample> {
    const key = 'batch-1/reserve';
    const held = await firstMarker(this.pool, (m) => m.held && m.point === 'after-effect' && onStep(m, wf, key), WAIT_MS);
    const { t0, survivors } = await this.kill(held.identity);
    const next = await firstMarker(survivors, (m) => m.point === 'activity-start' && onStep(m, wf, key) && (m.attempt ?? 0) >= 2, WAIT_MS);
    return { kind: 'short', ms: next.at - t0 };
  }

  /**
   * Nothing lost, nothing doubled for the step a round hit: the reservation is recorded once, and
   * the stage that was running (or the next one) finishes with each chunk committed once.
   */
  private async checkStore(wf: string, kind: Kind): Promise<void> {
    const { store } = this.env;
    const chunks = UNITS / CHUNK_UNITS;
    if (kind === 'short') {
      const rows = await waitUntil(
        async () => {
          const r = await store.all<{ attempt: number }>('SELECT attempt FROM production_events WHERE key LIKE ?', [keysLike(wf, 'batch-1/reserve')]);
          return r.length ? r : undefined;
        },
        { timeoutMs: WAIT_MS, what: 'the reservation' },
      );
      if (rows.length !== 1) this.storeProblems.push(`${wf}: the reservation was recorded ${rows.length} times`);
      return;
    }
    // The stage that ran across the kill: the first one for stage and workflow-task rounds; for a
    // sticky round, whichever stage started last.
    const stageKey = await waitUntil(
      async () => {
        const row = await store.get<{ stage_key: string }>(
          'SELECT stage_key FROM production_stage_progress WHERE stage_key LIKE ? ORDER BY started_at DESC LIMIT 1',
          [keysLike(wf, kind === 'sticky' ? undefined : this.stageKey(wf, STAGES[0]))],
        );
        return row?.stage_key;
      },
      { timeoutMs: WAIT_MS, what: 'the stage that ran across the kill' },
    );
    try {
      await waitUntil(
        async () => {
          const r = await store.get<{ n: number }>('SELECT COUNT(DISTINCT key) AS n FROM production_units WHERE stage_key = ?', [stageKey]);
          return Number(r?.n ?? 0) >= chunks;
        },
        { timeoutMs: WAIT_MS, intervalMs: 50, what: `every chunk of ${stageKey}` },
      );
    } catch (err) {
      this.storeProblems.push(`${stageKey}: lost, ${(err as Error).message}`);
    }
  }

  private async workflowTaskRound(wf: string): Promise<Sample> {
    const key = this.stageKey(wf, STAGES[0]);
    const held = await firstMarker(this.pool, (m) => m.held && m.point === 'workflow-task' && m.workflowId === wf, WAIT_MS);
    const { t0, survivors } = await this.kill(held.identity);
    const next = await firstMarker(survivors, (m) => m.point === 'activity-start' && onStep(m, wf, key), WAIT_MS);
    return { kind: 'workflow-task', ms: next.at - t0 };
  }

  private async stickyRound(wf: string): Promise<Sample> {
    for (let i = 0; i < STAGES.length - 1; i++) {
      const key = this.stageKey(wf, STAGES[i]);
      const cachedBy = await firstMarker(this.pool, (m) => m.point === 'workflow-task' && onStep(m, wf, key), WAIT_MS);
      // Attempt 1 fails by the fault plan; attempt 2 comes through the task queue.
      const runBy = await firstMarker(this.pool, (m) => m.point === 'activity-start' && onStep(m, wf, key) && m.attempt === 2, WAIT_MS);
      if (cachedBy.identity === runBy.identity) continue; // needs the cache and the stage on different workers
      arm(this.dir, 'after-effect', 'runStage', runBy.key); // only this stage: leftovers of earlier rounds may still run
      await firstMarker(this.pool, (m) => m.held && m.point === 'after-effect' && onStep(m, wf, key), WAIT_MS);
      const { t0, survivors } = await this.kill(cachedBy.identity);
      release(this.dir, 'after-effect', 'runStage');
      const nextKey = this.stageKey(wf, STAGES[i + 1]);
      const next = await firstMarker(survivors, (m) => m.point === 'activity-start' && onStep(m, wf, nextKey), WAIT_MS);
      return { kind: 'sticky', ms: next.at - t0 };
    }
    throw new Error('the cache and the stage were on the same worker for every stage');
  }

  /** Runs `kills` rounds (or until the deadline). */
  async run(kills: number, log: (line: string) => void): Promise<void> {
    for (let round = 0; this.samples.length < kills && Date.now() < this.env.deadline; round++) {
      // By samples, not rounds: a round that could not be measured is tried again with the same kind.
      const kind = KINDS[this.samples.length % KINDS.length];
      await Promise.all(
        this.pool.map((w) =>
          w.ready.catch((err: Error) => {
            throw new Error(`${err.message}\n${w.tail.join('\n')}`);
          }),
        ),
      );
      this.disarmAll();
      if (kind === 'workflow-task') arm(this.dir, 'workflow-task', 'runStage');
      const handle = await this.start(kind);
      try {
        if (kind === 'short') arm(this.dir, 'after-effect', 'reserveMaterials', handle.workflowId);
        const sample =
          kind === 'stage'
            ? await this.stageRound(handle.workflowId)
            : kind === 'short'
              ? await this.shortRound(handle.workflowId)
              : kind === 'workflow-task'
                ? await this.workflowTaskRound(handle.workflowId)
                : await this.stickyRound(handle.workflowId);
        this.samples.push(sample);
        const r = this.lastRecovery && this.lastRecovery.at >= this.lastKill ? this.lastRecovery : undefined;
        const supervised = r
          ? ` (supervisor done ${r.at - this.lastKill} ms after the kill: ${r.failed} failed, ${r.alreadyDone} already done, ` +
            `${r.stickyReset} sticky reset, ${r.stickyDrained} drained${r.errors.length ? `; ${r.errors.join('; ')}` : ''})`
          : '';
        log(`${this.profile.padEnd(17)} kill ${String(this.samples.length).padStart(2)}/${kills} ${kind.padEnd(13)} recovered in ${seconds(sample.ms)}${supervised}`);
        await this.checkStore(handle.workflowId, kind);
      } catch (err) {
        this.lost.push(`${kind}: ${(err as Error).message}`);
        log(`${this.profile.padEnd(17)} round ${round + 1} (${kind}) lost: ${(err as Error).message}`);
      } finally {
        this.disarmAll();
        await handle.terminate('failover benchmark: round measured').catch(() => undefined);
        while (this.pool.length < WORKERS_PER_LANE) this.pool.push(this.spawn());
      }
    }
  }
}

async function writeSupervisedBundle(dir: string): Promise<string> {
  const file = path.join(dir, 'supervised-bundle.js');
  fs.writeFileSync(file, (await supervisedBundle(project, { crashPoints: true })).code);
  return file;
}

/** Whether a marker is of `step` of the run `wf`. */
function onStep(m: CrashPointMarker, wf: string, step: string): boolean {
  return m.workflowId === wf && (m.key?.endsWith(`/${step}`) ?? false);
}

/** A `LIKE` pattern for the run-scoped keys of the run chain `wf`, or of one of its steps. */
function keysLike(wf: string, step?: string): string {
  return `%/run/${encodeURIComponent(wf)}/%/${step ?? '%'}`;
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`;
}

/** Nearest-rank percentile. */
function percentile(sorted: number[], p: number): number | undefined {
  if (!sorted.length) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function row(profile: string, kind: string, samples: Sample[]): string {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  return [
    profile.padEnd(18),
    kind.padEnd(14),
    String(ms.length).padStart(3),
    seconds(percentile(ms, 50)).padStart(9),
    seconds(percentile(ms, 95)).padStart(9),
    seconds(ms.at(-1)).padStart(9),
  ].join(' ');
}

function describeSettings(lane: LaneProfile, overrides: TimeoutOverrides): string {
  const profile: FailoverProfile = lane === 'supervisor' ? 'steadfast' : lane;
  const s = failoverSettings(profile);
  const hb = profile === 'temporal-defaults' ? `none (stage start-to-close ${DEFAULTS_STAGE_START_TO_CLOSE})` : String(s.heartbeatTimeout);
  const own = profile === 'steadfast';
  const wft = own && overrides.workflowTaskTimeoutMs ? `${overrides.workflowTaskTimeoutMs} ms (--workflow-task-timeout)` : String(s.workflowTaskTimeout);
  const sticky = own && overrides.stickyTimeoutMs ? `${overrides.stickyTimeoutMs} ms (--sticky-timeout)` : String(s.stickyQueueScheduleToStartTimeout);
  return (
    `${lane}${lane === 'supervisor' ? ' (steadfast settings)' : ''}: heartbeat timeout ${hb}, workflow task timeout ${wft}, ` +
    `sticky schedule-to-start ${sticky}, first retry after ${s.stageRetryInitialInterval}`
  );
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function laneProfiles(value: string): LaneProfile[] {
  const names = value.split(',').map((v) => v.trim()).filter(Boolean);
  const bad = names.filter((n) => !LANE_PROFILES.includes(n as LaneProfile));
  if (!names.length || bad.length) throw new InvalidArgumentError(`expected a comma-separated list of ${LANE_PROFILES.join(', ')}`);
  return names as LaneProfile[];
}

function duration(value: string): number {
  try {
    return msToNumber(value as Parameters<typeof msToNumber>[0]);
  } catch {
    throw new InvalidArgumentError('expected a duration such as "20m" or "900s"');
  }
}

async function main(): Promise<void> {
  const opts = new Command('bench:failover')
    .description('Kills worker processes and measures recovery time, Steadfast settings vs Temporal defaults')
    .option('--kills <n>', 'worker kills per profile (the issue asks for at least 20)', positiveInt, 21)
    .option('--deadline <duration>', 'stop after this long, whatever was measured', duration, msToNumber('20m'))
    .option('--profile <names>', `lanes to run, of ${LANE_PROFILES.join(', ')}`, laneProfiles, ['steadfast', 'temporal-defaults'] as LaneProfile[])
    .option('--workflow-task-timeout <duration>', "the runs' workflow task timeout in Steadfast's lanes, instead of the profile's", duration)
    .option('--sticky-timeout <duration>', "the workers' sticky schedule-to-start timeout in Steadfast's lanes, instead of the profile's", duration)
    .parse()
    .opts<{ kills: number; deadline: number; profile: LaneProfile[]; workflowTaskTimeout?: number; stickyTimeout?: number }>();
  const overrides: TimeoutOverrides = { workflowTaskTimeoutMs: opts.workflowTaskTimeout, stickyTimeoutMs: opts.stickyTimeout };
  installRuntime('ERROR');
  const began = Date.now();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-bench-failover-'));
  const log = (line: string) => console.log(`[${((Date.now() - began) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  const storeFile = path.join(scratch, 'effects.db');
  const store = openStore(`sqlite:${storeFile}`);
  await prepareStore(store);
  let temporal: TemporalHandle | undefined;
  let lanes: Lane[] = [];
  try {
    log('starting a dev server on 127.0.0.1 and bundling the workflows…');
    const supervising = opts.profile.includes('supervisor');
    const [server, bundlePath, supervisedBundlePath] = await Promise.all([
      startDevServer({ logLevel: 'error' }),
      writeCrashPointBundle(project, scratch),
      supervising ? writeSupervisedBundle(scratch) : undefined,
    ]);
    temporal = server;
    const env: Env = { temporal, store, storeFile, scratch, bundlePath, supervisedBundlePath, deadline: began + opts.deadline, overrides };
    lanes = opts.profile.map((p) => new Lane(p, env));
    log(`${WORKERS_PER_LANE} worker processes per profile; ${opts.kills} kills per profile, cycling ${KINDS.join(', ')}`);
    await Promise.all(lanes.map((lane) => lane.run(opts.kills, log)));

    console.log(`\nFailover benchmark (${((Date.now() - began) / 1000).toFixed(0)} s, ${os.cpus().length} CPUs, dev server on ${temporal.address})`);
    for (const lane of lanes) console.log(`  ${describeSettings(lane.profile, overrides)}`);
    console.log('\nrecovery time: SIGKILL of a worker → next step starts on a surviving worker');
    console.log(`${'profile'.padEnd(18)} ${'kind'.padEnd(14)} ${'n'.padStart(3)} ${'p50'.padStart(9)} ${'p95'.padStart(9)} ${'max'.padStart(9)}`);
    for (const lane of lanes) {
      console.log(row(lane.profile, 'all', lane.samples));
      for (const kind of KINDS) console.log(row(lane.profile, kind, lane.samples.filter((s) => s.kind === kind)));
    }
    console.log(`\nwhere a killed stage resumed (units already done when the worker died: at least ${KILL_AT_UNITS} of ${UNITS})`);
    for (const lane of lanes) {
      const from = lane.samples.filter((s) => s.kind === 'stage').map((s) => s.resumedFrom);
      console.log(`  ${lane.profile.padEnd(18)} ${from.join(', ') || '-'}`);
    }
    for (const lane of lanes.filter((l) => l.recoveryLog.length)) {
      const ms = lane.recoveryLog.map((r) => r.ms).sort((a, b) => a - b);
      const failed = lane.recoveryLog.reduce((n, r) => n + r.failed, 0);
      const reset = lane.recoveryLog.reduce((n, r) => n + r.stickyReset, 0);
      const drained = lane.recoveryLog.reduce((n, r) => n + r.stickyDrained, 0);
      console.log(
        `\n${lane.profile}: ${lane.recoveryLog.length} recoveries, ${failed} attempts failed through the async-completion API, ` +
          `${reset} sticky queues reset, ${drained} queued workflow tasks drained off dead sticky queues; exit → calls done p50 ${percentile(ms, 50)} ms, max ${ms.at(-1)} ms`,
      );
    }
    const doubled = await store.all<{ key: string; n: number }>(
      `SELECT key, COUNT(*) AS n FROM production_units GROUP BY key HAVING COUNT(*) > 1
       UNION ALL SELECT key, COUNT(*) AS n FROM production_events GROUP BY key HAVING COUNT(*) > 1`,
    );
    const problems = [...lanes.flatMap((l) => l.storeProblems.map((p) => `${l.profile}: ${p}`)), ...doubled.map((d) => `doubled: ${d.key} (${d.n} rows)`)];
    console.log(`\nstore check (nothing lost, nothing doubled): ${problems.length ? `FAILED\n  ${problems.join('\n  ')}` : 'ok'}`);
    if (problems.length) process.exitCode = 1;
    for (const lane of lanes) {
      if (lane.lost.length) console.log(`\n${lane.profile}: ${lane.lost.length} round(s) not measured:\n  ${lane.lost.join('\n  ')}`);
      if (lane.samples.length < opts.kills) console.log(`${lane.profile}: only ${lane.samples.length} of ${opts.kills} kills measured before the deadline`);
    }
  } finally {
    await Promise.all(lanes.map((l) => l.stop()));
    await WorkerProcess.killAll();
    await temporal?.close().catch((err) => console.error('stopping the dev server failed:', err));
    await store.close().catch((err) => console.error('closing the effect store failed:', err));
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
