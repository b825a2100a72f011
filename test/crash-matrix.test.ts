/**
 * The crash matrix, bounded: one cell per workflow type and per kill point (see test/crash-matrix.ts;
 * `npm run crash-matrix` runs every cell). Each cell SIGKILLs a real worker process at its point; the
 * run must end as planned, with its effects exactly once and the kill proven to have landed, and
 * `verifyStore` must hold over every cell's run (money and stock conserved).
 */
import assert from 'node:assert/strict';
import { CrashMatrix, formatMatrix, matrixCells, type MatrixCell } from './crash-matrix';

/** The cells CI runs: every type, every kill point, forward steps and a compensation. */
const BOUNDED: Array<Pick<MatrixCell, 'type' | 'step' | 'point'>> = [
  { type: 'orderFulfillment', step: 'chargePayment', point: 'after-effect' },
  { type: 'moneyTransfer', step: 'reverseDeposit', point: 'before-effect' },
  { type: 'productionBatch', step: 'runStage', point: 'mid-stage' },
  { type: 'carePathway', step: 'scheduleFollowUp', point: 'after-effect' },
];

describe('crash matrix, bounded: a worker SIGKILLed at each kill point of a step of every workflow type', function () {
  this.timeout(300_000);
  let matrix: CrashMatrix | undefined;

  before(async function () {
    matrix = await CrashMatrix.open();
  });

  after(async function () {
    if (matrix?.results.length) console.log(formatMatrix(matrix.results).replace(/^/gm, '      '));
    await matrix?.close();
  });

  it('the full matrix covers every type, every step of the sagas and each kill point', function () {
    const cells = matrixCells();
    assert.deepEqual([...new Set(cells.map((c) => c.type))], ['orderFulfillment', 'moneyTransfer', 'productionBatch', 'carePathway']);
    assert.deepEqual([...new Set(cells.map((c) => c.point))].sort(), ['after-effect', 'before-effect', 'mid-stage']);
    assert.equal(cells.filter((c) => c.type === 'orderFulfillment').length, 16, '4 steps and 4 compensations × 2 points');
  });

  for (const want of BOUNDED) {
    it(`${want.type} ${want.step} ${want.point}: ends as planned, effects once, the kill landed`, async function () {
      const cell = matrixCells().find((c) => c.type === want.type && c.step === want.step && c.point === want.point);
      assert.ok(cell, 'a cell of the full matrix');
      const r = await matrix!.run(cell);
      assert.deepEqual(r.problems, []);
      assert.ok(r.retryAttempt !== undefined && r.retryAttempt >= 2, 'the survivor ran a retry of the step');
      assert.ok(typeof r.survivor === 'string' && typeof r.killed === 'string' && r.survivor !== r.killed, 'another worker took over');
      assert.equal(r.outcome, want.step === 'reverseDeposit' ? 'compensated' : 'completed');
    });
  }

  it('verifyStore holds over every cell: money and stock conserved, no key applied twice', async function () {
    assert.ok(matrix!.records.length > 0, 'cells ran');
    const verdict = await matrix!.storeVerdict();
    assert.deepEqual(verdict.violations, []);
    assert.equal(verdict.holds, true);
  });
});
