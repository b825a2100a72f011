/**
 * The workflow sandbox evaluates every module a run imports, once per run, and zod is over a
 * hundred modules: Steadfast's workflow entry point and interceptors load it only when a run
 * checks something with it (a fault plan in the memo, `parseOrReject`), so a run that validates
 * nothing does not pay for it (docs/PERFORMANCE.md has the throughput this bought).
 */
import assert from 'node:assert/strict';
import { FAULT_PLAN_MEMO_KEY } from 'steadfast/client';
import { runWithWorker, startTimeSkippingServer, uniqueId, type TemporalHandle } from 'steadfast/testing';

describe('zod in the workflow sandbox', function () {
  let temporal: TemporalHandle;
  before(async () => {
    temporal = await startTimeSkippingServer();
  });
  after(() => temporal?.close());

  it('is not evaluated in a run without a fault plan; a run whose plan is checked evaluates it, in its own globals', async function () {
    const taskQueue = uniqueId('zod-free');
    const workflowsPath = require.resolve('./fixtures/zod-free-workflows');
    const run = (memo?: Record<string, unknown>) =>
      temporal.client.workflow.execute('zodEvaluated', { taskQueue, workflowId: uniqueId('zod-free-run'), ...(memo ? { memo } : {}) }) as Promise<{
        zod: boolean;
        key: string;
      }>;
    const [before, checked, after] = await runWithWorker(temporal, { taskQueue, workflowsPath, faultInjection: false }, async () => [
      await run(),
      await run({ [FAULT_PLAN_MEMO_KEY]: { someActivity: { kind: 'permanent' } } }),
      await run(),
    ]);
    assert.equal(checked.zod, true, 'the run whose fault plan was checked evaluated zod (the probe sees it)');
    assert.equal(before.zod, false, 'a run without a fault plan evaluated no zod');
    assert.equal(after.zod, false, 'nor did one after a run that evaluated it (its globals are its own)');
    assert.match(before.key, /step/, 'the run used steadfast/workflow');
  });
});
