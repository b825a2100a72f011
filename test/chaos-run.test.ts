/**
 * A short chaos run end to end, the issue's example: 30 runs mixing the four workflow types, with
 * injected faults, on 2 worker processes, 2 SIGKILLs, on the harness's own dev server. Every
 * invariant must hold (the finance types bring `verifyStore`), the report must exist, and every
 * check must be able to fail: a tampered store is caught. Then the options' validation: bad input
 * names the field and starts nothing.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../src/activity/store';
import { WORKFLOW_TASK_STEP } from '../src/chaos/fault-records';
import { checkInvariants, defaultInvariants } from '../src/chaos/invariants';
import { ChaosUsageError, parseChaosOptions } from '../src/chaos/options';
import { planChaos, runChaos } from '../src/chaos/runner';
import type { ChaosReport } from '../src/chaos/report';
import { CHAOS_TYPES } from '../chaos';

const CHAOS_WORKFLOW_TYPES = Object.fromEntries(CHAOS_TYPES.map((t) => [t.name, t]));
const DEFAULT_CHAOS_TYPES = CHAOS_TYPES.map((t) => t.name);
import { PROJECT_ROOT } from '../src/platform/config';
import { runKeyOf, runKeyPrefix } from '../src/common/idempotency-key';

/**
 * The run's options. High rates so that a short run meets every kind; the seed is one whose mix
 * covers every outcome the checks must tell apart (the first test says which, so a change in how
 * runs are drawn fails there, with the reason, rather than quietly testing less).
 */
const OPTIONS = {
  workflows: 30,
  workers: 2,
  kills: 2,
  killWindowSeconds: 6,
  seed: 12_775,
  rates: { transient: 0.3, permanent: 0.1, timeout: 0.1, lostAck: 0.2 },
  timeLimitSeconds: 180,
  progress: false,
};

describe('chaos run: 30 runs of the four workflow types, 2 worker kills (dev server, worker processes)', function () {
  let dir: string;
  let storeUrl: string;
  let report: ChaosReport;
  const outcome = (r: { status: string; failureType?: string }) => (r.status === 'failed' ? r.failureType : r.status);

  before(async function () {
    this.timeout(240_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-chaos-run-'));
    storeUrl = `sqlite:${path.join(dir, 'effects.db')}`;
    report = await runChaos({ ...OPTIONS, reportFile: path.join(dir, 'report.html'), store: storeUrl }, { log: () => undefined });
  });

  after(function () {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('draws, from its seed, a mix that covers every outcome the checks must tell apart', function () {
    const { runs } = planChaos(parseChaosOptions(OPTIONS, Object.keys(CHAOS_WORKFLOW_TYPES)), CHAOS_WORKFLOW_TYPES, OPTIONS.seed);
    const drawn = new Set(runs.map((r) => `${r.type.name}: ${r.expected.status === 'failed' ? r.expected.failureType : 'completed'}`));
    for (const want of [
      ...DEFAULT_CHAOS_TYPES.flatMap((t) => [`${t}: completed`, `${t}: SimulatedPermanentFault`]),
      'orderFulfillment: CardDeclined',
      'orderFulfillment: OutOfStock',
      'moneyTransfer: AccountFrozen',
      'moneyTransfer: InsufficientFunds',
      'orderFulfillment: SagaCompensationFailed',
    ]) {
      assert.ok(drawn.has(want), `the seed draws a run expected to end as ${want}`);
    }
    // The runs start evenly over the kill window, the last at its end, after every kill moment.
    const plan = planChaos(parseChaosOptions(OPTIONS, Object.keys(CHAOS_WORKFLOW_TYPES)), CHAOS_WORKFLOW_TYPES, OPTIONS.seed);
    assert.equal(plan.startAt.length, OPTIONS.workflows);
    assert.deepEqual([plan.startAt[0], plan.startAt.at(-1)], [0, OPTIONS.killWindowSeconds * 1000]);
    assert.deepEqual(plan.startAt, [...plan.startAt].sort((a, b) => a - b));
    assert.ok(plan.killAt.every((t) => t < plan.startAt.at(-1)!), `every kill moment before the last start: ${plan.killAt}`);
    // Planted defects: a batch reworked once, and one scrapped, in runs that complete.
    const defects = runs.filter((r) => r.type.name === 'productionBatch' && r.world && r.expected.status === 'completed');
    assert.deepEqual([...new Set(defects.map((r) => (r.world!.defects as { reworkPasses: number }).reworkPasses))].sort(), [1, 2]);
  });

  it('ends every run correctly and every invariant holds, verifyStore included', function () {
    assert.deepEqual(
      report.invariants.map((v) => [v.name, v.holds, v.violations]),
      [
        ['every run terminal', true, []],
        ['every outcome correct', true, []],
        ['effects exactly once', true, []],
        ['store verified', true, []],
      ],
    );
    assert.equal(report.passed, true);
    assert.equal(report.runs.length, 30);
    assert.deepEqual(Object.keys(report.outcomesByType).sort(), [...DEFAULT_CHAOS_TYPES].sort());
    for (const [type, o] of Object.entries(report.outcomesByType)) {
      assert.equal(o.completed + o.failedAsPlanned, o.runs, `${type}: every run completed or failed as planned`);
      assert.ok(o.completed > 0 && o.failedAsPlanned > 0, `${type}: both outcomes occur`);
    }
    // Production lines that continued as new were checked across their runs (the effects check wants
    // the chain: every run but the last continued as new).
    const chained = report.runs.filter((r) => r.workflowType === 'productionBatch' && r.status === 'completed' && (r.runs?.length ?? 0) > 1);
    assert.ok(chained.length > 0, 'a completed production line continued as new');
    for (const r of chained) assert.deepEqual(r.runs!.map((x) => x.status), ['continued_as_new', 'completed'], r.workflowId);
    // What the runs really ended as, from the server: a business rejection is not a simulated fault.
    const ended = new Set(report.runs.map((r) => `${r.workflowType}: ${outcome(r)}`));
    for (const want of ['orderFulfillment: CardDeclined', 'moneyTransfer: AccountFrozen', 'orderFulfillment: SagaCompensationFailed']) {
      assert.ok(ended.has(want), `a run ended as ${want}`);
    }
  });

  it('reports the compensation that failed: the run says which, verifyStore lists what it left as unresolved', function () {
    const broken = report.runs.filter((r) => r.failureType === 'SagaCompensationFailed');
    assert.ok(broken.length > 0);
    for (const r of broken) assert.ok(r.failedCompensations?.length, `${r.workflowId} lists its failed compensations`);
    const notes = report.invariants.find((v) => v.name === 'store verified')!.notes ?? [];
    assert.ok(notes.length > 0, 'a step left applied by a failed compensation is noted');
    for (const note of notes) {
      assert.ok(
        broken.some((r) => note.includes(r.workflowId)),
        `the note is about a run that failed with SagaCompensationFailed: ${note}`,
      );
    }
  });

  it('counts the planned faults and the kills, measured from real events', function () {
    assert.equal(report.kills.length, 2);
    assert.equal(report.killsPlanned, 2, 'every planned kill was carried out');
    const killedAt = new Map(report.kills.map((x) => [x.workerIdentity, x.at]));
    for (const k of report.kills) {
      const victim = report.workers.find((w) => w.identity === k.workerIdentity);
      assert.ok(victim?.readyAt !== undefined && victim.readyAt <= k.at, `${k.workerIdentity} was polling when it was killed`);
      // Every kill left a survivor: another worker polling then, not killed before it.
      const survivors = report.workers.filter(
        (w) => w.identity !== k.workerIdentity && w.readyAt !== undefined && w.readyAt <= k.at && (killedAt.get(w.identity) ?? Infinity) > k.at,
      );
      // Kills never bunch: each waited until the pool was whole again (the previous victim's
      // replacement polling), so it left every other worker.
      assert.equal(survivors.length, OPTIONS.workers - 1, `the kill of ${k.workerIdentity} at ${k.at} left every other worker ready: ${JSON.stringify(report.workers)}`);
      assert.equal(k.survivors, survivors.length, 'the kill record counts them');
    }
    // The runs arrived over the kill window, the last after every kill: work was still to come.
    const lastKill = Math.max(...report.kills.map((k) => k.at));
    const starts = report.runs.map((r) => r.startedAt!).sort((a, b) => a - b);
    assert.ok(starts[0] < Math.min(...report.kills.map((k) => k.at)), 'a run started before the first kill');
    assert.ok(starts.at(-1)! >= lastKill, `a run started after the last kill (${starts.at(-1)} >= ${lastKill})`);
    // A kill is a fault only where it interrupted something the server noticed (an attempt or a
    // workflow task timed out on the killed worker); at least one of the two did.
    const killFaults = report.faults.filter((f) => f.kind === 'worker-kill');
    assert.ok(
      report.kills.some((k) => k.noticed > 0),
      `at least one kill interrupted work the server noticed: ${JSON.stringify(report.kills)}`,
    );
    assert.equal(killFaults.length, report.kills.reduce((n, k) => n + k.noticed, 0), 'every kill fault belongs to a kill');
    for (const f of killFaults) {
      assert.ok(report.kills.some((k) => k.at === f.injectedAt), `${f.workflowId} ${f.step}: injected by a kill`);
      assert.ok(f.workflowId && f.detectedAt !== undefined && f.detectedAt >= f.injectedAt!, `${f.step}: a run's fault, detected after the kill`);
    }
    // Every planned fault kind shows up as at least one record of its kind, in every type.
    const plannedKinds = new Set(report.runs.flatMap((r) => Object.values(r.plan).map((f) => (f.kind === 'hang' ? 'timeout' : f.kind))));
    for (const kind of plannedKinds) assert.ok(report.faults.some((f) => f.kind === kind), `a ${kind} fault was recorded`);
    for (const type of DEFAULT_CHAOS_TYPES) assert.ok(report.faults.some((f) => f.workflowType === type), `${type} runs met faults`);
    // Business rejections are answers, not faults; an activity failure nobody injected would be a bug.
    // (A workflow task that times out on a loaded machine is a real fault of kind `other`, and fine.)
    const unexplained = report.faults.filter((f) => f.kind === 'other' && f.step !== WORKFLOW_TASK_STEP);
    assert.deepEqual(unexplained, [], 'no activity failed but by an injected fault');
    // Outside productionBatch every activity runs once per run, so a planned transient fault fires
    // at most its `times` (not at all when an earlier step failed for good or no compensation ran).
    const onceTypes = report.runs.filter((r) => r.workflowType !== 'productionBatch');
    const transientsPlanned = onceTypes.reduce(
      (n, r) => n + Object.values(r.plan).reduce((m, f) => m + (f.kind === 'transient' ? f.times : 0), 0),
      0,
    );
    const onceIds = new Set(onceTypes.map((r) => r.workflowId));
    assert.ok(report.faults.filter((f) => f.kind === 'transient' && onceIds.has(f.workflowId!)).length <= transientsPlanned);
    const m = report.metrics;
    assert.equal(m.faults, report.faults.length);
    assert.ok(m.tRT.count > 0 && m.tRT.max! >= m.tRT.p95! && m.tRT.p95! >= m.tRT.p50!);
    assert.equal(m.faultTolerance.rate, 1);
    assert.ok(Math.abs(m.failureRatePerSecond * (m.mtbfMs! / 1000) - 1) < 1e-9, 'λ = 1 / MTBF');
    for (const f of report.faults) {
      if (f.injectedAt !== undefined && f.detectedAt !== undefined) assert.ok(f.detectedAt >= f.injectedAt, `${f.kind} detected after injection`);
    }
  });

  it("reads the workers' SDK counters and writes the HTML report", function () {
    assert.ok(report.workers.length >= 4, 'two workers and the replacements of the two killed ones');
    const failed = report.workers.reduce((n, w) => n + (w.counters.temporal_activity_execution_failed ?? 0), 0);
    assert.ok(failed > 0, 'the workers counted failed activity executions');
    const html = fs.readFileSync(report.reportFile!, 'utf8');
    assert.match(html, /<canvas id="chart-recovery"/);
    assert.doesNotMatch(html, /<script[^>]+src=/, 'no external scripts');
  });

  it('stopped every process it started', function () {
    assert.ok(report.workers.length > 0);
    for (const { pid } of report.workers) {
      assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} is gone`);
    }
  });

  it('catches a store that is not exactly right: a charge posted twice, a deposit undone behind its run, a chunk made twice, a lost care effect', async function () {
    const store = openStore(storeUrl);
    try {
      const checks = defaultInvariants(CHAOS_WORKFLOW_TYPES, DEFAULT_CHAOS_TYPES);
      const rerun = async () =>
        Object.fromEntries((await checkInvariants(checks, { store, runs: report.runs, types: CHAOS_WORKFLOW_TYPES })).map((v) => [v.name, v]));
      assert.ok(Object.values(await rerun()).every((v) => v.holds), 'the store as the run left it passes');

      const completed = (type: string) => report.runs.find((r) => r.workflowType === type && r.status === 'completed')!;
      const [order, transfer, production, care] = DEFAULT_CHAOS_TYPES.map(completed);
      const post = (l: Record<string, unknown>, overrides: Record<string, unknown> = {}) => {
        const row: Record<string, unknown> = { ...l, id: randomUUID(), ...overrides };
        return store.run('INSERT INTO bank_ledger (id, key, account_id, amount, kind, ref, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
          row.id, row.key, row.account_id, row.amount, row.kind, row.ref, row.created_at,
        ]);
      };
      // The charge's legs again under the same key, balances untouched: a double charge.
      for (const l of await store.all<Record<string, unknown>>('SELECT * FROM bank_ledger WHERE key = ?', [runKeyOf(order, 'charge-payment')])) {
        await post(l);
      }
      // The deposit of a completed transfer reversed, though its run never compensated.
      for (const l of await store.all<Record<string, unknown>>('SELECT * FROM bank_ledger WHERE key = ?', [runKeyOf(transfer, 'deposit')])) {
        await post(l, { key: runKeyOf(transfer, 'rogue-reversal'), amount: -Number(l.amount), kind: 'deposit-reversal', ref: l.key });
      }
      // A stage chunk applied a second time by a later attempt.
      const [chunk] = await store.all<Record<string, unknown>>('SELECT * FROM production_units WHERE stage_key LIKE ? LIMIT 1', [`${runKeyPrefix(production)}%`]);
      await store.run('INSERT INTO production_units (key, attempt, stage_key, units_from, units_to, created_at) VALUES (?, 99, ?, ?, ?, ?)', [
        chunk.key, chunk.stage_key, chunk.units_from, chunk.units_to, chunk.created_at,
      ]);
      await store.run('DELETE FROM care_events WHERE key = ?', [runKeyOf(care, 'follow-up')]);

      const verdicts = await rerun();
      const effects = verdicts['effects exactly once'].violations.join('\n');
      assert.match(effects, new RegExp(`${transfer.workflowId}: step deposit is undone, expected applied`));
      assert.match(effects, new RegExp(`${production.workflowId}: batch-\\d/\\S+ has a chunk from \\d+ after \\d+ units`));
      assert.match(effects, new RegExp(`${care.workflowId}: effects \\[admit\\], expected \\[admit, follow-up\\]`));
      const stored = verdicts['store verified'].violations.join('\n');
      assert.match(stored, new RegExp(`key-applied-twice \\S*/run/${order.workflowId}/\\S+/charge-payment`));
      assert.match(stored, /ledger-mismatch/);
      assert.match(stored, new RegExp(`run-inconsistent ${transfer.workflowId}: completed, but step deposit is undone`));
      assert.equal(verdicts['every outcome correct'].holds, true, 'the outcomes themselves did not change');
    } finally {
      await store.close();
    }
  });
});

describe('chaos options', function () {
  it('rejects bad options naming the field, before starting anything', async function () {
    await assert.rejects(
      runChaos({ workflows: 0, rates: { transient: 0.9, permanent: 0.5 }, types: ['carePathway'] }, { log: () => undefined }),
      (err: Error) =>
        err instanceof ChaosUsageError &&
        /workflows: /.test(err.message) &&
        /rates: the fault rates must add up to at most 1/.test(err.message),
    );
    await assert.rejects(
      runChaos({ types: ['nope'] }),
      /types: unknown workflow type\(s\) nope; expected some of orderFulfillment, moneyTransfer, productionBatch, carePathway/,
    );
    await assert.rejects(
      runChaos({ supervisor: true, respawn: false }, { log: () => undefined }),
      /respawn: a supervisor always replaces killed workers; --no-respawn needs running without --supervisor/,
    );
    await assert.rejects(
      runChaos({ workers: 3, kills: 3, respawn: false }, { log: () => undefined }),
      /kills: without replacements \(--no-respawn\) each kill must leave a ready worker, so at most 2 with 3 worker\(s\); got 3/,
    );
    await assert.rejects(
      runChaos({ workflowTaskTimeout: 'soon', stickyTimeout: 0 }, { log: () => undefined }),
      (err: Error) =>
        err instanceof ChaosUsageError &&
        /workflowTaskTimeout: expected a positive duration such as "14 days"/.test(err.message) &&
        /stickyTimeout: expected a positive duration/.test(err.message),
    );
  });

  it('npm run chaos exits 2 on bad usage', function () {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/chaos/command.ts', '--workflows', 'many', '--sticky-timeout', 'never'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /workflows: /);
    assert.match(r.stderr, /stickyTimeout: expected a positive duration/);
  });
});
