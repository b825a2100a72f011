/**
 * Test helpers: throwaway effect stores with the reference application's tables, and history reading.
 * (Unique ids and deadline polling come from `steadfast/testing`.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { temporal } from '@temporalio/proto';
import type { WorkflowHandle } from '@temporalio/client';
import { openStore, type EffectStore } from '../src/activity/store';
import { prepareStore } from '../activities';
import { runKeyOf, runKeyPrefix } from '../src/common/idempotency-key';
import { runKeysOf } from '../src/client/run-record';
import { parseStepKey } from '../src/common/idempotency-key';

/**
 * Whether the tests run in CI: `CI` is set to anything but empty, `0` or `false` (`CI=true` from
 * .ci/run and most CI services, `CI=1` from others). In CI, a test that lacks a service CI provides
 * fails instead of skipping.
 */
/** Unique ids and deadline polls come from the public testing entry, like a user's tests. */
export { uniqueId, waitUntil } from 'steadfast/testing';

export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI?.trim().toLowerCase();
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}

/** A fresh SQLite effect store in a temporary directory, with every service's tables. */
export async function tempSqliteStore(): Promise<{ store: EffectStore; file: string; cleanup: () => Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-test-'));
  const file = path.join(dir, 'effects.db');
  const store = openStore(`sqlite:${file}`);
  await prepareStore(store);
  return {
    store,
    file,
    cleanup: async () => {
      await store.close().catch((err) => console.error('store close failed:', err));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The events of a run's history. */
export async function historyEvents(handle: WorkflowHandle): Promise<HistoryEvent[]> {
  return (await handle.fetchHistory()).events ?? [];
}

/** The idempotency key of `step` in the run chain of `handle` (src/common/step-key.ts). */
export async function keyOf(handle: WorkflowHandle, step: string): Promise<string> {
  return runKeyOf(await runKeysOf(handle), step);
}

/** The prefix of every idempotency key of the run chain of `handle`, for `LIKE 'prefix%'`. */
export async function keyPrefixOf(handle: WorkflowHandle): Promise<string> {
  return runKeyPrefix(await runKeysOf(handle));
}

/**
 * A `LIKE` pattern for every idempotency key of the runs with this workflow id (tests use unique
 * ids, so that is one run chain), or for the key of one `step` of them.
 */
export function keysLike(workflowId: string, step?: string): string {
  return `%/run/${encodeURIComponent(workflowId)}/%/${step ?? '%'}`;
}

/** The step name of a run-scoped key (`…/run/<workflowId>/<firstRunId>/<step>` → `<step>`). */
export function keyStep(key: string): string {
  const parsed = parseStepKey(key);
  if (!parsed) throw new Error(`not a run-scoped or scoped step key: ${key}`);
  return parsed.step;
}
