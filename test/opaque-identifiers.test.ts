/**
 * Opaque identifiers: a care pathway started the way the demo starts it puts the patient id in
 * none of its visibility records (workflow id, search attributes, memo), as `describe` and `list`
 * return them on a real dev server. The input still carries it (a codec is what hides payloads).
 */
import assert from 'node:assert/strict';
import type { Worker } from '@temporalio/worker';
import { careScenarios } from '../client/demo-care';
import type { EffectStore } from 'steadfast/activity';
import { startDevServer, type TemporalHandle } from 'steadfast/testing';
import { referenceWorker } from './reference-worker';
import { tempSqliteStore, uniqueId, waitUntil } from './helpers';

/** Every byte array in `value` as UTF-8 text, so that payload bytes can be searched. */
function readable(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (Array.isArray(value)) return value.map(readable);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, readable(v)]));
  return typeof value === 'bigint' ? value.toString() : value;
}

describe('opaque identifiers of a care pathway (dev server)', function () {
  this.timeout(120_000);
  let temporal: TemporalHandle;
  let store: EffectStore;
  let cleanupStore: () => Promise<void>;

  before(async function () {
    temporal = await startDevServer();
    ({ store, cleanup: cleanupStore } = await tempSqliteStore());
  });

  after(async function () {
    await temporal?.close().catch((err) => console.error('server teardown failed:', err));
    await cleanupStore?.();
  });

  it("keeps the patient id out of the demo's workflow ids, search attributes and memos", async function () {
    const taskQueue = uniqueId('opaque-tq');
    const worker: Worker = await referenceWorker({ connection: temporal.nativeConnection, namespace: temporal.namespace, taskQueue, store });
    await worker.runUntil(async () => {
      for (const scenario of careScenarios) {
        const handle = await scenario.start(temporal, taskQueue, uniqueId('tag'), store);
        await scenario.whileRunning?.(handle, store);
        await handle.result();
        const history = await handle.fetchHistory();
        // The input as the history holds it (with payload encryption on, decode it with the codec first).
        const payload = history.events?.[0].workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
        const patientId = payload?.data ? (JSON.parse(Buffer.from(payload.data).toString('utf8')) as { patientId?: string }).patientId : undefined;
        assert.ok(patientId, 'the input carries a patient id (the check below must look for something real)');

        const desc = await handle.describe();
        const info = desc.raw.workflowExecutionInfo!;
        const described = JSON.stringify(readable({ workflowId: desc.workflowId, memo: info.memo, searchAttributes: info.searchAttributes }));
        assert.ok(!described.includes(patientId), `describe shows the patient id: ${described}`);

        const listed = await waitUntil(
          async () => {
            const runs = [];
            for await (const run of temporal.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}' AND ExecutionStatus = 'Completed'` })) {
              runs.push(run);
            }
            return runs.length ? runs : undefined;
          },
          { what: 'the completed run in the visibility index' },
        );
        const record = JSON.stringify(
          readable(listed.map((r) => ({ workflowId: r.workflowId, memo: r.raw.memo, searchAttributes: r.raw.searchAttributes }))),
        );
        assert.ok(!record.includes(patientId), `list shows the patient id: ${record}`);
        assert.equal((handle.workflowId.match(/care-pathway-[0-9a-f-]{36}$/) ?? []).length, 1, handle.workflowId);
      }
    });
  });
});
