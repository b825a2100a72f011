/**
 * Registering Steadfast's search attributes on a server that lacks them, as `steadfast worker`
 * and the demo do on an external server: a bare dev server (started without them) gets exactly
 * the three attributes with their types, and a second call changes nothing.
 */
import assert from 'node:assert/strict';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { withResolvedServer } from '../src/platform/provision';
import { ensureSearchAttributes } from '../src/platform/search-attributes';
import { freePort } from 'steadfast/testing';

const { IndexedValueType } = temporal.api.enums.v1;

describe('ensureSearchAttributes', function () {
  let env: TestWorkflowEnvironment;

  before(async function () {
    const port = await freePort();
    // Not startDevServer: it registers the attributes itself.
    env = await withResolvedServer('cli', (executable) =>
      TestWorkflowEnvironment.createLocal({ server: { executable, ip: '127.0.0.1', port, ui: false } }),
    );
  });

  after(async function () {
    await env?.teardown().catch((err) => console.error('server teardown failed:', err));
  });

  it('registers the attributes a namespace lacks, once', async function () {
    const namespace = env.namespace ?? 'default';
    const listCustom = async () =>
      (await env.connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
    assert.equal((await listCustom()).SteadfastFaults, undefined, 'a bare dev server lacks them');

    assert.deepEqual(await ensureSearchAttributes(env.connection, namespace), [
      'SteadfastFaults',
      'SteadfastFaultKinds',
      'SteadfastCompensated',
    ]);
    const custom = await listCustom();
    assert.equal(custom.SteadfastFaults, IndexedValueType.INDEXED_VALUE_TYPE_INT);
    assert.equal(custom.SteadfastFaultKinds, IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST);
    assert.equal(custom.SteadfastCompensated, IndexedValueType.INDEXED_VALUE_TYPE_BOOL);

    assert.deepEqual(await ensureSearchAttributes(env.connection, namespace), []);
  });
});
