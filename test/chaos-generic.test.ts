/**
 * `steadfast chaos` on a user's project that declares only its workflow types (the scaffold's
 * `bookTrip`, test/fixtures/sdk-project): the CLI builds a generic chaos type from the declaration
 * and checks the generic invariants against the effect store, under injected faults and a worker
 * SIGKILL. Run as the real CLI, in the project's folder, as a user runs it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../src/activity/store';
import { runKeyOf } from '../src/common/idempotency-key';
import { GENERIC_INVARIANTS } from '../src/chaos/generic-invariants';
import { genericChaosType } from '../src/chaos/generic-type';
import { checkInvariants } from '../src/chaos/invariants';
import type { ChaosReport } from '../src/chaos/report';
import { resolveServer } from '../src/platform/provision';
import scaffold from '../template/steadfast.config';
import { runCli } from './cli-process';

const FIXTURES = path.join(__dirname, 'fixtures');

describe('steadfast chaos on a project that declares only its workflow types', function () {
  let home: string;
  let env: Record<string, string | undefined>;

  before(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-chaos-generic-'));
    // The fixture's state (chaos files) goes to a scratch folder; the dev server is this checkout's.
    const { executable } = resolveServer('cli');
    env = {
      STEADFAST_HOME: home,
      TEMPORAL_CLI_PATH: executable.type === 'existing-path' ? executable.path : undefined,
      TEMPORAL_ADDRESS: undefined,
      STEADFAST_STORE: undefined,
    };
  });
  after(() => fs.rmSync(home, { recursive: true, force: true }));

  it('refuses an example input that its schema refuses, naming the field, and starts nothing', async () => {
    const result = await runCli(['chaos', '--workflows', '2', '--json'], env, path.join(FIXTURES, 'sdk-project-bad-example'));
    assert.equal(result.code, 2, result.stderr);
    const { error } = JSON.parse(result.stdout) as { error: { code: string; message: string } };
    assert.equal(error.code, 'invalid-input');
    assert.match(error.message, /workflowTypes\.bookTrip\.example\.amount: expected a positive amount in cents/);
    assert.ok(!fs.existsSync(path.join(home, 'chaos')), 'no chaos run was started');
  });

  it('runs the declared type under faults and a worker kill; the generic invariants hold', async function () {
    // A chaos run on a loaded machine: a dev server, a bundle, two worker processes, a 10 s attempt timeout after the kill.
    this.timeout(240_000);
    // Seed 9 draws, among its 8 runs: permanent faults on each forward step (runs that compensate),
    // one on a compensation that the run reaches (SagaCompensationFailed), transient faults and
    // lost replies; the kill lands within 1 s of the start.
    const result = await runCli(
      [
        'chaos', '--workflows', '8', '--seed', '9', '--workers', '2', '--kills', '1', '--kill-window', '2', '--no-respawn',
        '--transient', '0.25', '--permanent', '0.1', '--timeout', '0', '--lost-ack', '0.2', '--time-limit', '240', '--json',
      ],
      env,
      path.join(FIXTURES, 'sdk-project'),
    );
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    const report = JSON.parse(result.stdout) as ChaosReport;

    const verdicts = Object.fromEntries(report.invariants.map((v) => [v.name, v]));
    assert.deepEqual(
      report.invariants.map((v) => [v.name, v.holds, v.violations]),
      [
        ['every run terminal', true, []],
        ['every outcome correct', true, []],
        ['effects at most once', true, []],
        ['compensated runs undone', true, []],
      ],
    );
    assert.equal(report.passed, true);

    // The report's counts: 8 runs of the one declared type, each ended; some compensated.
    assert.deepEqual(report.options.types, ['bookTrip']);
    assert.equal(report.runs.length, 8);
    const o = report.outcomesByType.bookTrip;
    assert.deepEqual([o.runs, o.incorrect, o.notTerminal, o.completed + o.failedAsPlanned], [8, 0, 0, 8]);
    assert.ok(o.failedAsPlanned >= 3, `runs failed and compensated: ${JSON.stringify(o)}`);
    const failureTypes = new Set(report.runs.filter((r) => r.status === 'failed').map((r) => r.failureType));
    assert.deepEqual([...failureTypes].sort(), ['SagaCompensationFailed', 'SimulatedPermanentFault']);
    // Each failed run compensated and was checked, and every completed run too.
    assert.equal(verdicts['compensated runs undone'].checked, 8);
    // The run whose compensation failed reported it; its step that never landed needs no record.
    const sagaFailed = report.runs.find((r) => r.failureType === 'SagaCompensationFailed')!;
    assert.deepEqual(sagaFailed.failedCompensations, ['cancelFlight']);
    assert.ok(verdicts['effects at most once'].checked >= 8 * 2, 'keys were checked');

    // The faults: injected ones and the kill, which the harness carried out on a ready worker.
    assert.equal(report.killsPlanned, 1);
    assert.equal(report.kills.length, 1);
    assert.deepEqual(report.workers.map((w) => w.killed).sort(), [false, true]);
    const kinds = new Set(report.faults.map((f) => f.kind));
    for (const kind of ['transient', 'permanent', 'lost-ack']) assert.ok(kinds.has(kind as never), `a ${kind} fault was recorded: ${[...kinds].join(', ')}`);
    assert.ok(report.metrics, 'the metrics are reported');

    // The same checks catch a store that is not right: a compensated step whose tombstone is gone,
    // and a run's key recorded by another workflow.
    const store = openStore(`sqlite:${path.join(path.dirname(report.reportFile!), 'effects.db')}`);
    try {
      const types = { bookTrip: genericChaosType(scaffold.workflowTypes![0]) };
      const recheck = async () =>
        Object.fromEntries((await checkInvariants(GENERIC_INVARIANTS, { store, runs: report.runs, types })).map((v) => [v.name, v.violations]));
      assert.deepEqual(await recheck(), { 'effects at most once': [], 'compensated runs undone': [] });
      const compensated = report.runs.find((r) => r.failureType === 'SimulatedPermanentFault')!;
      const flight = runKeyOf(compensated, 'book-flight');
      assert.equal((await store.run('DELETE FROM steadfast_compensations WHERE key = ?', [flight])).changes, 1);
      const completed = report.runs.find((r) => r.status === 'completed')!;
      await store.run('UPDATE steadfast_idempotency SET workflow_id = ? WHERE key = ?', ['someone-else', runKeyOf(completed, 'charge-card')]);
      assert.deepEqual(await recheck(), {
        'effects at most once': [`${completed.workflowId}: its key ${runKeyOf(completed, 'charge-card')} was applied by workflow someone-else`],
        'compensated runs undone': [`${compensated.workflowId}: failed, its steps ${flight} have no compensation record`],
      });
    } finally {
      await store.close();
    }
  });
});
