/**
 * A namespace that lacks Steadfast's search attributes (a plain `TestWorkflowEnvironment`, not
 * `startTimeSkippingServer`, which registers them): the worker registers them when it may;
 * otherwise it switches fault marking off with a warning, and a compensated saga still runs its
 * compensations and ends with the original failure instead of failing its workflow task.
 */
import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, type Logger } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { compensationOrder, runWithWorker, uniqueId } from 'steadfast/testing';
import { sampleOrder, seedFinance } from '../activities/finance-seed';
import { createActivities } from '../activities';
import { RejectionType } from '../contracts/rejections';
import { faultAttributes } from '../src/client/runs';
import { withResolvedServer } from '../src/platform/provision';
import { orderFulfillment } from '../workflows';
import { tempSqliteStore } from './helpers';
import { REFERENCE_WORKFLOWS } from './reference-worker';

/** A logger that keeps its warnings. */
function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const ignore = () => undefined;
  return { warnings, log: ignore, trace: ignore, debug: ignore, info: ignore, warn: (m) => void warnings.push(m), error: ignore };
}

describe('a saga on a namespace without Steadfast search attributes', function () {
  let env: TestWorkflowEnvironment | undefined;
  let store: Awaited<ReturnType<typeof tempSqliteStore>> | undefined;

  beforeEach(async function () {
    // Plain: no search attributes registered, unlike startTimeSkippingServer().
    env = await withResolvedServer('test-server', (executable) => TestWorkflowEnvironment.createTimeSkipping({ server: { executable } }));
    store = await tempSqliteStore();
  });
  afterEach(async function () {
    await env?.teardown().catch((err) => console.error('server teardown failed:', err));
    await store?.cleanup();
  });

  /** A declined card: the saga refunds and releases, then fails with CardDeclined. */
  async function declinedOrder(registerSearchAttributes: boolean, logger: Logger) {
    const f = await seedFinance(store!.store);
    const taskQueue = uniqueId('plain-namespace');
    const workflowId = uniqueId('order-3003');
    const handle = await runWithWorker(
      env!,
      { taskQueue, ...REFERENCE_WORKFLOWS, activities: createActivities(store!.store), registerSearchAttributes, logger },
      async () => {
        const h = await env!.client.workflow.start(orderFulfillment, {
          taskQueue,
          workflowId,
          args: [sampleOrder(f, workflowId, { paymentAccount: f.accounts.carol })],
        });
        await assert.rejects(h.result(), (err: Error) => {
          assert.ok(err instanceof WorkflowFailedError, String(err));
          const inner = err.cause instanceof ActivityFailure ? err.cause.cause : err.cause;
          assert.ok(inner instanceof ApplicationFailure, String(inner));
          assert.equal(inner.type, RejectionType.cardDeclined, 'the run fails with the original failure');
          return true;
        });
        return h;
      },
    );
    return { handle, compensations: compensationOrder(await handle.fetchHistory()) };
  }

  it('switches marking off with a warning when it may not register them, and still compensates', async function () {
    const logger = recordingLogger();
    const { handle, compensations } = await declinedOrder(false, logger);
    assert.deepEqual(compensations, ['refundPayment', 'releaseInventory']);
    assert.equal(logger.warnings.length, 1, logger.warnings.join('\n'));
    assert.match(logger.warnings[0]!, /fault marking is off/);
    assert.match(logger.warnings[0]!, /temporal operator search-attribute create .*--name SteadfastCompensated/);
    assert.equal(faultAttributes(await handle.describe()).compensated, false, 'nothing marked');
  });

  it('registers them when it may, and marks the compensated run', async function () {
    const logger = recordingLogger();
    const { handle, compensations } = await declinedOrder(true, logger);
    assert.deepEqual(compensations, ['refundPayment', 'releaseInventory']);
    assert.deepEqual(logger.warnings, []);
    assert.equal(faultAttributes(await handle.describe()).compensated, true);
  });
});
