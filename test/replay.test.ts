/**
 * Replay regression: every recorded history under test/histories/ replays against today's
 * workflow code, and a deliberately changed workflow fails replay with a DeterminismViolationError.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DeterminismViolationError } from '@temporalio/workflow';
import { replayHistories } from 'steadfast/testing';
import { REFERENCE_WORKFLOWS } from './reference-worker';

const HISTORIES_DIR = path.join(__dirname, 'histories');
const files = fs.readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json')).sort();

describe('replay of recorded histories', function () {
  it('has recorded histories to replay', function () {
    assert.ok(files.length > 0, `no histories in ${HISTORIES_DIR}; run npm run record:histories`);
  });

  for (const file of files) {
    it(`replays ${file} without a determinism error`, async function () {
      await replayHistories([path.join(HISTORIES_DIR, file)], REFERENCE_WORKFLOWS);
    });
  }

  for (const history of ['care-pathway-success.json', 'production-batch-crashed.json']) {
    it(`rejects a changed workflow with DeterminismViolationError naming the file (${history})`, async function () {
      const changed = { ...REFERENCE_WORKFLOWS, workflowsPath: require.resolve('./fixtures/changed-workflows') };
      await assert.rejects(replayHistories([path.join(HISTORIES_DIR, history)], changed), (err: Error) => {
        assert.ok(err instanceof DeterminismViolationError, `expected a DeterminismViolationError, got ${err.name}: ${err.message}`);
        assert.ok(err.message.startsWith(path.join(HISTORIES_DIR, history)), err.message);
        return true;
      });
    });
  }

  it('replays every carePathway history against a change guarded by patched()', async function () {
    const care = files.filter((f) => f.startsWith('care-pathway-'));
    assert.ok(care.length >= 3, `carePathway histories: ${care.join(', ')}`);
    const patchedSource = { ...REFERENCE_WORKFLOWS, workflowsPath: require.resolve('./fixtures/patched-workflows') };
    await replayHistories(
      care.map((f) => path.join(HISTORIES_DIR, f)),
      patchedSource,
    );
  });
});
