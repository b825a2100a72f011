/**
 * Replay regression: every recorded history under test/histories/ replays against today's
 * workflow code, and a deliberately changed workflow fails replay with a DeterminismViolationError.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { workflowBundle } from 'steadfast/worker';
import { REFERENCE_WORKFLOWS, referenceBundle } from './reference-worker';

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
      await Worker.runReplayHistory({ workflowBundle: await referenceBundle() }, loadHistory(file), file);
    });
  }

  function bundleFixture(dir: string) {
    return workflowBundle({ ...REFERENCE_WORKFLOWS, workflowsPath: require.resolve(`./fixtures/${dir}`) });
  }

  for (const history of ['care-pathway-success.json', 'production-batch-crashed.json']) {
    it(`rejects a changed workflow with DeterminismViolationError (${history})`, async function () {
      const changed = await bundleFixture('changed-workflows');
      await assert.rejects(Worker.runReplayHistory({ workflowBundle: changed }, loadHistory(history)), DeterminismViolationError);
    });
  }

  it('replays every carePathway history against a change guarded by patched()', async function () {
    const patchedBundle = await bundleFixture('patched-workflows');
    const care = files.filter((f) => f.startsWith('care-pathway-'));
    assert.ok(care.length >= 3, `carePathway histories: ${care.join(', ')}`);
    for (const file of care) {
      await Worker.runReplayHistory({ workflowBundle: patchedBundle }, loadHistory(file), file);
    }
  });
});
