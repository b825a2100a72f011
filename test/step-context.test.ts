/**
 * The saga step carried through async context (`step` on log lines, `steadfast.step` on spans), and
 * the switch that turns it off: on Node 20 an AsyncLocalStorage that has run makes every promise
 * of the workflow thread pay an async hook, 4–7 ms of worker CPU per run in bench:saga
 * (docs/PERFORMANCE.md).
 */
import assert from 'node:assert/strict';
import { runWithWorker, startTimeSkippingServer, uniqueId, type TemporalHandle } from 'steadfast/testing';
import { WorkerSetupError } from 'steadfast/worker';
import { stepContextFromEnv } from '../src/worker/create-worker';

describe('the saga step context', function () {
  let temporal: TemporalHandle;
  before(async () => {
    temporal = await startTimeSkippingServer();
  });
  after(() => temporal?.close());

  const run = (stepContext: boolean | undefined) => {
    const taskQueue = uniqueId('step-context');
    const workflowsPath = require.resolve('./fixtures/step-context-workflows');
    return runWithWorker(temporal, { taskQueue, workflowsPath, faultInjection: false, stepContext }, () =>
      temporal.client.workflow.execute('stepsSeen', { taskQueue, workflowId: uniqueId('step-context-run') }),
    );
  };

  it('names each concurrent step on its own branch, before and after an await (the default)', async function () {
    assert.deepEqual(await run(undefined), ['one/one', 'two/two']);
  });

  it('with stepContext: false, carries no step and the saga runs the same', async function () {
    assert.deepEqual(await run(false), ['null/null', 'null/null']);
  });

  it('STEADFAST_STEP_CONTEXT takes on or off, and refuses anything else naming the variable', function () {
    assert.equal(stepContextFromEnv({}), true);
    assert.equal(stepContextFromEnv({ STEADFAST_STEP_CONTEXT: 'on' }), true);
    assert.equal(stepContextFromEnv({ STEADFAST_STEP_CONTEXT: 'OFF' }), false);
    assert.equal(stepContextFromEnv({ STEADFAST_STEP_CONTEXT: '0' }), false);
    assert.throws(() => stepContextFromEnv({ STEADFAST_STEP_CONTEXT: 'sometimes' }), (err: Error) => {
      assert.ok(err instanceof WorkerSetupError);
      assert.match(err.message, /^STEADFAST_STEP_CONTEXT: expected on or off, got "sometimes"$/);
      return true;
    });
  });
});
