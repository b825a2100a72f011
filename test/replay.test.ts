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
import { CARE_PATHWAY_ESCALATION_PATCH } from '../workflows/care-pathway';
import { REFERENCE_WORKFLOWS, referenceBundle } from './reference-worker';

const HISTORIES_DIR = path.join(__dirname, 'histories');
const files = fs.readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json')).sort();

function loadHistory(file: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8'));
}

/** The ids of the patches a history's `patched()` markers name. */
function patchIds(history: unknown): string[] {
  const events = (history as { events: { markerRecordedEventAttributes?: { markerName?: string; details?: Record<string, { payloads?: { data?: string }[] }> } }[] }).events;
  return events.flatMap((e) => {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_patch') return [];
    const data = marker.details?.['patch-data']?.payloads?.[0]?.data;
    return data ? [(JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { id: string }).id] : [];
  });
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

  for (const history of ['care-pathway-success-before-escalation.json', 'production-batch-crashed.json']) {
    it(`rejects a changed workflow with DeterminismViolationError (${history})`, async function () {
      const changed = await bundleFixture('changed-workflows');
      await assert.rejects(Worker.runReplayHistory({ workflowBundle: changed }, loadHistory(history)), DeterminismViolationError);
    });
  }

  // The fixture is the path that runs took before the escalation patch, plus its guarded step, so
  // it replays the histories recorded on that path (those without the patch's marker).
  it('replays every carePathway history of the pre-escalation path against a change guarded by patched()', async function () {
    const patchedBundle = await bundleFixture('patched-workflows');
    const care = files.filter((f) => f.startsWith('care-pathway-') && !patchIds(loadHistory(f)).includes(CARE_PATHWAY_ESCALATION_PATCH));
    assert.ok(care.length >= 3, `carePathway histories: ${care.join(', ')}`);
    for (const file of care) {
      await Worker.runReplayHistory({ workflowBundle: patchedBundle }, loadHistory(file), file);
    }
  });
});
