/**
 * A short chaos run end to end: 10 carePathway runs with injected faults on 2 worker processes,
 * one SIGKILL, on the harness's own dev server; every invariant must hold, the report must exist.
 * And the options' validation: bad input names the field and starts nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../activities/store';
import { ChaosUsageError } from '../client/chaos/options';
import { runChaos } from '../client/chaos/runner';
import type { ChaosReport } from '../client/chaos/report';
import { PROJECT_ROOT } from '../platform/config';

describe('chaos run (dev server, worker processes, one kill)', function () {
  let dir: string;
  let report: ChaosReport;

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-chaos-run-'));
    report = await runChaos(
      {
        workflows: 10,
        workers: 2,
        kills: 1,
        killWindowSeconds: 4,
        seed: 20_251_129,
        // High rates so that a short run still meets every kind.
        rates: { transient: 0.3, permanent: 0.1, timeout: 0.1, lostAck: 0.2 },
        timeLimitSeconds: 120,
        reportFile: path.join(dir, 'report.html'),
        store: `sqlite:${path.join(dir, 'effects.db')}`,
        progress: false,
      },
      { log: () => undefined },
    );
  });

  after(function () {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('ends every run correctly and every invariant holds', function () {
    assert.deepEqual(
      report.invariants.map((v) => [v.name, v.holds, v.violations]),
      [
        ['every run terminal', true, []],
        ['every outcome correct', true, []],
        ['effects exactly once', true, []],
      ],
    );
    assert.equal(report.passed, true);
    assert.equal(report.runs.length, 10);
    const o = report.outcomesByType.carePathway;
    assert.equal(o.completed + o.failedAsPlanned, 10);
    // The seed fixes the plans: the runs planned to fail permanently are exactly those that failed.
    const planned = report.runs.filter((r) => Object.values(r.plan).some((f) => f.kind === 'permanent')).length;
    assert.equal(o.failedAsPlanned, planned);
  });

  it('counts the planned faults and the kill, measured from real events', function () {
    assert.equal(report.kills.length, 1);
    assert.ok(report.faults.some((f) => f.kind === 'worker-kill' && f.injectedAt === report.kills[0].at), 'the kill is a fault');
    // Every planned fault that fires on its first attempt shows up as at least one record of its kind.
    const plannedKinds = new Set(report.runs.flatMap((r) => Object.values(r.plan).map((f) => (f.kind === 'hang' ? 'timeout' : f.kind))));
    for (const kind of plannedKinds) {
      assert.ok(report.faults.some((f) => f.kind === kind), `a ${kind} fault was recorded`);
    }
    const transientsPlanned = report.runs.reduce(
      (n, r) => n + Object.values(r.plan).reduce((m, f) => m + (f.kind === 'transient' ? f.times : 0), 0),
      0,
    );
    // A transient fault on the follow-up of a run whose admission failed permanently never fires.
    assert.ok(report.faults.filter((f) => f.kind === 'transient').length <= transientsPlanned);
    const m = report.metrics;
    assert.equal(m.faults, report.faults.length);
    assert.ok(m.tRT.count > 0 && m.tRT.max! >= m.tRT.p95! && m.tRT.p95! >= m.tRT.p50!);
    assert.equal(m.faultTolerance.rate, 1);
    assert.ok(Math.abs(m.failureRatePerSecond * (m.mtbfMs! / 1000) - 1) < 1e-9, 'λ = 1 / MTBF');
    for (const f of report.faults) {
      if (f.injectedAt !== undefined && f.detectedAt !== undefined) assert.ok(f.detectedAt >= f.injectedAt, `${f.kind} detected after injection`);
    }
  });

  it('reads the workers\' SDK counters and writes the HTML report', function () {
    assert.ok(report.workers.length >= 3, 'two workers and the replacement of the killed one');
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

  it('leaves its store with exactly the effects of the completed steps', async function () {
    const store = openStore(`sqlite:${path.join(dir, 'effects.db')}`);
    try {
      const rows = await store.all<{ n: number }>('SELECT COUNT(*) AS n FROM care_events');
      const completed = report.runs.filter((r) => r.status === 'completed').length;
      const admittedThenFailed = report.runs.filter((r) => r.status === 'failed' && r.plan.admitPatient?.kind !== 'permanent').length;
      assert.equal(rows[0].n, 2 * completed + admittedThenFailed);
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
    await assert.rejects(runChaos({ types: ['nope'] }), /types: unknown workflow type\(s\) nope; expected some of carePathway/);
  });

  it('npm run chaos exits 2 on bad usage', function () {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'client/chaos/command.ts', '--workflows', 'many'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /workflows: /);
  });
});
