/**
 * Recorded histories: writing a run's history to a file, replaying files against today's workflow
 * code, and reading a saga's compensation order from a history.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { workflowBundle, type WorkflowBundleSource } from '../worker/create-worker';

/** A history as `fetchHistory()` returns it, or the events alone. */
export type HistoryLike = temporal.api.history.v1.IHistory | temporal.api.history.v1.IHistoryEvent[];

function eventsOf(history: HistoryLike): temporal.api.history.v1.IHistoryEvent[] {
  return Array.isArray(history) ? history : (history.events ?? []);
}

/**
 * Writes the history of the handle's run to `file` (creating its folder), in the JSON format that
 * `temporal workflow show --output json` writes and {@link replayHistories} reads. Record a
 * history once the run has ended, and commit it.
 *
 * @example
 * await handle.result();
 * await recordHistory(handle, path.join(__dirname, 'histories', 'book-trip-compensated.json'));
 */
export async function recordHistory(handle: WorkflowHandle, file: string): Promise<void> {
  const history = await handle.fetchHistory();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(JSON.parse(historyToJSON(history)), null, 2) + '\n');
}

/**
 * Replays recorded histories (a list of JSON files, or a folder of them) against the workflow code
 * bundled as the worker bundles it (with Steadfast's interceptors). Throws a
 * `DeterminismViolationError` whose message starts with the file's name when today's code would
 * not make the same decisions, and any other replay failure likewise named; returns the files
 * replayed.
 *
 * @example
 * it('replays the recorded histories', async function () {
 *   await replayHistories(path.join(__dirname, 'histories'), { workflowsPath: require.resolve('../workflows') });
 * });
 */
export async function replayHistories(files: string[] | string, source: WorkflowBundleSource): Promise<string[]> {
  const list =
    typeof files === 'string'
      ? fs
          .readdirSync(files)
          .filter((f) => f.endsWith('.json'))
          .sort()
          .map((f) => path.join(files, f))
      : files;
  if (list.length === 0) throw new Error(`no recorded histories to replay${typeof files === 'string' ? ` in ${files}` : ''}`);
  const bundle = await workflowBundle(source);
  for (const file of list) {
    const history: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    try {
      await Worker.runReplayHistory({ workflowBundle: bundle }, history, path.basename(file));
    } catch (err) {
      const message = `${file}: ${(err as Error).message}`;
      if (err instanceof DeterminismViolationError) throw new DeterminismViolationError(message, err);
      throw new Error(message, { cause: err });
    }
  }
  return list;
}

/**
 * The activity types of a saga's compensations, in the order they were scheduled, read from a
 * run's history. With `compensations` (the compensation activity types), every scheduled activity
 * of those types counts. Without, the compensations are the activities scheduled after the first
 * activity that failed, timed out or was cancelled, or after cancellation was requested: that is
 * when `Saga` starts compensating, so pass the types when the workflow handles an activity failure
 * itself and carries on.
 *
 * @example
 * await assert.rejects(handle.result());
 * assert.deepEqual(compensationOrder(await handle.fetchHistory()), ['cancelHotel', 'cancelFlight']);
 */
export function compensationOrder(history: HistoryLike, compensations?: Iterable<string>): string[] {
  const types = compensations ? new Set(compensations) : undefined;
  const order: string[] = [];
  let compensating = false;
  for (const e of eventsOf(history)) {
    const type = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (type) {
      if (types ? types.has(type) : compensating) order.push(type);
      continue;
    }
    if (
      e.activityTaskFailedEventAttributes ||
      e.activityTaskTimedOutEventAttributes ||
      e.activityTaskCanceledEventAttributes ||
      e.workflowExecutionCancelRequestedEventAttributes
    ) {
      compensating = true;
    }
  }
  return order;
}
