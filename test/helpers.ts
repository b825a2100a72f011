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
