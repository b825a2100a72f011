/**
 * The saga step carried through async context (`step` on log lines, `steadfast.step` on spans), and
 * the switch that turns it off: on Node 20 an AsyncLocalStorage that has run makes every promise
 * of the workflow thread pay an async hook, 0.2–0.5 ms of worker CPU per run in bench:saga
 * (4–7 ms on a slower VM; docs/PERFORMANCE.md).
 */
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { runWithWorker, startDevServer, startTimeSkippingServer, uniqueId, type TemporalHandle } from 'steadfast/testing';
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

  // The saga's step and run are plain functions returning one promise (fewer promises per run,
  // docs/PERFORMANCE.md); a synchronous throw must still count as the step's or body's failure.
  const undoOrder = async (workflowType: string) => {
    const taskQueue = uniqueId('saga-sync-throw');
    const undone: string[] = [];
    const activities = { undo: async (step: string) => void undone.push(step) };
    const workflowsPath = require.resolve('./fixtures/step-context-workflows');
    const failure = await runWithWorker(temporal, { taskQueue, workflowsPath, activities, faultInjection: false }, () =>
      temporal.client.workflow.execute(workflowType, { taskQueue, workflowId: uniqueId('saga-sync-throw-run') }).then(
        () => assert.fail('the run should fail'),
        (err: unknown) => err,
      ),
    );
    assert.ok(failure instanceof WorkflowFailedError);
    assert.ok(failure.cause instanceof ApplicationFailure);
    assert.equal(failure.cause.type, 'Refused');
    return undone;
  };

  it('a step whose action throws synchronously fails like a rejection: the steps beside it still start, and all are undone', async function () {
    assert.deepEqual(await undoOrder('syncThrowingStep'), ['two', 'one']);
  });

  it('a saga body that throws synchronously is compensated and the run fails with the throw', async function () {
    assert.deepEqual(await undoOrder('syncThrowingBody'), ['before']);
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

// A dev server, not the time-skipping one: with several runs sleeping at once, the time-skipping
// server may skip past a run's timeout while the worker is still busy with the others.
describe("Steadfast's workflow modules in a reused V8 context", function () {
  let dev: TemporalHandle;
  before(async () => {
    dev = await startDevServer();
  });
  after(() => dev?.close());

  it("shares Steadfast's workflow modules between the runs of a worker, and concurrent runs each see only their own steps", async function () {
    const taskQueue = uniqueId('step-context-shared');
    const workflowsPath = require.resolve('./fixtures/step-context-workflows');
    const start = (type: string) => dev.client.workflow.execute(type, { taskQueue, workflowId: uniqueId('step-context-shared-run') });
    const [shared, ...steps] = await runWithWorker(dev, { taskQueue, workflowsPath, faultInjection: false }, () =>
      Promise.all([start('modulesShared'), ...Array.from({ length: 6 }, () => start('stepsSeen'))]),
    );
    // Preloaded (src/worker/create-worker.ts, SHARED_WORKFLOW_MODULES): evaluated once for the
    // worker's V8 context, not once per run; the SDK freezes what it shares, down to the option
    // presets' nested retry policies (docs/PERFORMANCE.md: spread a preset to change it).
    assert.deepEqual(shared, { saga: true, currentStep: true, presetRetry: true });
    for (const seen of steps) assert.deepEqual(seen, ['one/one', 'two/two']);
  });

  it("also shares the project's own modules that its bundler options list in preloadModules, and only those", async function () {
    const taskQueue = uniqueId('step-context-project-preload');
    const workflowsPath = require.resolve('./fixtures/step-context-workflows');
    const bundlerOptions = { preloadModules: [require.resolve('./fixtures/step-context-workflows/rules')] };
    const shared = await runWithWorker(dev, { taskQueue, workflowsPath, faultInjection: false, bundlerOptions }, () =>
      dev.client.workflow.execute('projectModulesShared', { taskQueue, workflowId: uniqueId('step-context-project-preload-run') }),
    );
    // A bundle of the same workflows without that option (the test above) is cached apart.
    assert.deepEqual(shared, { rules: true, scratch: false });
  });
});
