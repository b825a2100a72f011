/**
 * Replay regression: every recorded history under test/histories/ replays against today's
 * workflow code, with the idempotency keys it recorded; and, for every workflow type, replay
 * catches each kind of change that would break a run in flight:
 *
 * - a changed command order (for the sagas, the compensations run in the other order) fails with
 *   a DeterminismViolationError;
 * - a changed idempotency key, which Temporal's replayer accepts (it compares activity types, not
 *   inputs), is caught by comparing the keys today's code schedules with the recorded ones: after a
 *   reset, a changed key would apply the run's effects a second time;
 * - a new command guarded by `patched()` replays every old history, and the same command unguarded
 *   fails. The change is made by a loader from today's workflow source, so it cannot drift from it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, Worker, type InjectedSinks } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { WORKFLOW_INTERCEPTOR_MODULES } from 'steadfast/worker';
import { REFERENCE_WORKFLOWS } from './reference-worker';
import type { ReplayKeySinks } from './fixtures/replay-changes/record-keys';
import type { PatchLoaderOptions } from './fixtures/replay-changes/patch-loader';
import { workflowIdOfHistoryFile } from './record-histories';

const HISTORIES_DIR = path.join(__dirname, 'histories');
const files = fs.readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json')).sort();
const WORKFLOW_TYPES = ['orderFulfillment', 'moneyTransfer', 'productionBatch', 'carePathway'];
const CHANGES = path.join(__dirname, 'fixtures', 'replay-changes');
const WORKFLOWS_PATH = REFERENCE_WORKFLOWS.workflowsPath;
const SOURCE_ENTRIES = {
  'steadfast/workflow$': path.join(__dirname, '..', 'src', 'workflow', 'index.ts'),
  'steadfast/schemas$': path.join(__dirname, '..', 'src', 'schemas', 'index.ts'),
};

type History = temporal.api.history.v1.IHistory;

function loadHistory(file: string): History {
  return historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
}

function workflowTypeOf(file: string): string {
  const started = loadHistory(file).events?.[0]?.workflowExecutionStartedEventAttributes;
  return started?.workflowType?.name ?? '?';
}

const historiesOf = (type: string) => files.filter((f) => workflowTypeOf(f) === type);

const QUIET = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error };

const bundles = new Map<string, ReturnType<typeof bundleWorkflowCode>>();

/**
 * Today's workflows (or `workflowsPath`) with extra interceptor modules from
 * test/fixtures/replay-changes and, optionally, the patch loader; built once per file.
 */
function bundleWith(modules: string[], patch?: PatchLoaderOptions, workflowsPath = WORKFLOWS_PATH): ReturnType<typeof bundleWorkflowCode> {
  const cacheKey = JSON.stringify([modules, patch, workflowsPath]);
  const cached = bundles.get(cacheKey);
  if (cached) return cached;
  const bundle = bundleWorkflowCode({
    workflowsPath,
    workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES, ...modules.map((m) => path.join(CHANGES, m))],
    logger: QUIET,
    webpackConfigHook: (base) => {
      // Bundled directly, not through workflowBundle: so, as workflowBundle does, the workflows'
      // `steadfast/workflow` and `steadfast/schemas` are the sources the interceptor modules come from.
      const config = { ...base, resolve: { ...base.resolve, alias: { ...base.resolve?.alias, ...SOURCE_ENTRIES } } };
      if (!patch) return config;
      return {
        ...config,
        module: {
          ...config.module,
          rules: [
            ...(config.module?.rules ?? []),
            { test: /\.ts$/, enforce: 'pre', use: [{ loader: path.join(CHANGES, 'patch-loader.ts'), options: patch }] },
          ],
        },
      };
    },
  });
  bundles.set(cacheKey, bundle);
  return bundle;
}

/** activityId → [activity type, idempotency key] of every activity the history scheduled. */
function recordedKeys(history: History): Map<string, [string, string | undefined]> {
  const keys = new Map<string, [string, string | undefined]>();
  for (const e of history.events ?? []) {
    const a = e.activityTaskScheduledEventAttributes;
    if (!a) continue;
    const payload = a.input?.payloads?.[0];
    const request = payload ? defaultPayloadConverter.fromPayload<{ key?: unknown }>(payload) : undefined;
    keys.set(a.activityId!, [a.activityType!.name!, typeof request?.key === 'string' ? request.key : undefined]);
  }
  return keys;
}

/** Replays `history` with `bundle` (which has the key recorder) and returns the keys the code scheduled. */
async function replayedKeys(bundle: { code: string }, history: History, file: string) {
  const keys = new Map<string, [string, string | undefined]>();
  const sinks: InjectedSinks<ReplayKeySinks> = {
    replayKeys: { scheduled: { fn: (_info, id, type, key) => void keys.set(id, [type, key]), callDuringReplay: true } },
  };
  // The keys derive from the workflow id, which the history file does not hold: the recorder's.
  await Worker.runReplayHistory({ workflowBundle: bundle, sinks }, history, workflowIdOfHistoryFile(file));
  return keys;
}

/** The recorded activities whose key today's code does not reproduce. */
function keyMismatches(recorded: Map<string, [string, string | undefined]>, replayed: Map<string, [string, string | undefined]>): string[] {
  const out: string[] = [];
  for (const [id, [type, key]] of recorded) {
    const now = replayed.get(id);
    if (!now || now[1] !== key) out.push(`activity ${id} (${type}): recorded key ${key}, today's code ${now ? now[1] : 'schedules nothing'}`);
  }
  return out;
}

/** Where each workflow type gets the new command of the patch fixtures: before this line. */
const ANCHORS: Record<string, [file: string, anchor: string, history: string]> = {
  orderFulfillment: ['order-fulfillment.ts', 'const { shipmentId, trackingNumber } = await saga.step(', 'order-success.json'],
  moneyTransfer: ['money-transfer.ts', 'const { depositId } = await saga.step(', 'transfer-success.json'],
  productionBatch: ['production-batch.ts', 'const { status, reworks } = await produceBatch(spec, tally.nextBatch);', 'production-batch-success-run1.json'],
  carePathway: ['care-pathway.ts', 'const followUpAt = new Date(Date.now() + opts.followUpMs).toISOString();', 'care-pathway-success.json'],
};

function patchOptions(mode: PatchLoaderOptions['mode']): PatchLoaderOptions {
  const workflowsDir = path.dirname(WORKFLOWS_PATH);
  return { mode, anchors: Object.fromEntries(Object.values(ANCHORS).map(([file, anchor]) => [path.join(workflowsDir, file), anchor])) };
}

describe('replay of recorded histories', function () {
  this.timeout(300_000);

  it('has recorded histories of every workflow type', function () {
    assert.ok(files.length > 0, `no histories in ${HISTORIES_DIR}; run npm run record:histories`);
    for (const type of WORKFLOW_TYPES) assert.ok(historiesOf(type).length > 0, `a recorded ${type} history`);
  });

  for (const file of files) {
    it(`replays ${file} without a determinism error, scheduling the keys it recorded`, async function () {
      const history = loadHistory(file);
      const recorded = recordedKeys(history);
      assert.ok(recorded.size > 0, 'the history scheduled activities');
      const replayed = await replayedKeys(await bundleWith(['record-keys.ts']), history, file);
      assert.deepEqual(keyMismatches(recorded, replayed), []);
    });
  }

  describe('a changed command order fails replay, for every workflow type', function () {
    const cases: Array<[type: string, history: string, change: string, bundle: () => ReturnType<typeof bundleWith>]> = [
      ['carePathway', 'care-pathway-success.json', 'the follow-up booked before the timer', () => bundleWith([], undefined, require.resolve('./fixtures/changed-workflows'))],
      ['productionBatch', 'production-batch-crashed.json', 'a stage before the reservation', () => bundleWith([], undefined, require.resolve('./fixtures/changed-workflows'))],
      ['orderFulfillment', 'order-compensated.json', 'the compensations in registration order', () => bundleWith(['swapped-compensations.ts'])],
      ['moneyTransfer', 'transfer-reversed.json', 'the compensations in registration order', () => bundleWith(['swapped-compensations.ts'])],
    ];
    it('covers every workflow type', function () {
      assert.deepEqual(cases.map(([type]) => type).sort(), [...WORKFLOW_TYPES].sort());
    });
    for (const [type, history, change, bundle] of cases) {
      it(`${type}: ${change} (${history})`, async function () {
        assert.equal(workflowTypeOf(history), type);
        await assert.rejects(Worker.runReplayHistory({ workflowBundle: await bundle() }, loadHistory(history)), DeterminismViolationError);
      });
    }
    it('the saga compensations really run in reverse order in the recorded histories', function () {
      const order = (file: string) => [...recordedKeys(loadHistory(file)).values()].map(([type]) => type);
      assert.deepEqual(order('order-compensated.json').slice(-3), ['cancelShipment', 'refundPayment', 'releaseInventory']);
      assert.deepEqual(order('transfer-reversed.json').slice(-2), ['reverseDeposit', 'reverseWithdrawal']);
    });
  });

  describe('a changed idempotency key is caught, for every workflow type', function () {
    for (const type of WORKFLOW_TYPES) {
      it(type, async function () {
        const changed = await bundleWith(['changed-keys.ts', 'record-keys.ts']);
        for (const file of historiesOf(type)) {
          const history = loadHistory(file);
          // Temporal's replayer alone accepts the change: same activity types, same order.
          const replayed = await replayedKeys(changed, history, file);
          const mismatches = keyMismatches(recordedKeys(history), replayed);
          assert.ok(mismatches.length > 0, `${file}: the changed keys are caught`);
          assert.match(mismatches[0], /recorded key \S+, today's code \S+\/v2$/);
        }
      });
    }
  });

  describe("a change guarded by patched(), made from today's workflow source", function () {
    for (const type of WORKFLOW_TYPES) {
      it(`${type}: every history replays with the guarded change; the same change unguarded fails`, async function () {
        const [, , history] = ANCHORS[type];
        assert.equal(workflowTypeOf(history), type);
        const unguarded = await bundleWith([], patchOptions('unguarded'));
        await assert.rejects(Worker.runReplayHistory({ workflowBundle: unguarded }, loadHistory(history)), DeterminismViolationError);
        const guarded = await bundleWith([], patchOptions('patched'));
        for (const file of historiesOf(type)) await Worker.runReplayHistory({ workflowBundle: guarded }, loadHistory(file), file);
      });
    }
  });
});
