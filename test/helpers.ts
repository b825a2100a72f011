/**
 * Test helpers: unique ids, deadline polling, throwaway effect stores and history reading.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
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
export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI?.trim().toLowerCase();
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}

/** A unique id for a workflow or task queue, from a readable prefix. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/**
 * Polls `check` until it returns a truthy value or the deadline passes. Use instead of sleeps.
 * @returns the truthy value.
 */
export async function waitUntil<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 30_000, intervalMs = 100, what = 'condition' } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
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
