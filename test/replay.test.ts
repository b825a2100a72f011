/**
 * Replay regression: every recorded history under test/histories/ replays against today's
 * workflow code, and a deliberately changed workflow fails replay with a DeterminismViolationError.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { workflowBundle, WORKFLOW_INTERCEPTOR_MODULES } from '../workers/worker';

const HISTORIES_DIR = path.join(__dirname, 'histories');
const files = fs.readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json')).sort();

function loadHistory(file: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8'));
}

describe('replay of recorded histories', function () {
  it('has recorded histories to replay', function () {
    assert.ok(files.length > 0, `no histories in ${HISTORIES_DIR}; run npm run record:histories`);
  });

  for (const file of files) {
    it(`replays ${file} without a determinism error`, async function () {
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, loadHistory(file), file);
    });
  }

  it('rejects a changed workflow with DeterminismViolationError', async function () {
    const changed = await bundleWorkflowCode({
      workflowsPath: require.resolve('./fixtures/changed-workflows'),
      workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
    });
    await assert.rejects(
      Worker.runReplayHistory({ workflowBundle: changed }, loadHistory('care-pathway-success.json')),
      DeterminismViolationError,
    );
  });
});
