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
