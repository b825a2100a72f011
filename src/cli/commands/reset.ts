/**
 * `steadfast reset <id> [--to <eventId>|last-good]`: rolls a run back to a workflow task (see
 * client/reset.ts), reapplying the signals received after it, and prints the new run's id.
 */
import { OperationError, UsageError } from '../cli-errors';
import type { CliConnection } from '../connect';
import { withProgress } from '../progress';
import { eventTypeName, lastGood, RESET_POINT_TYPES, resetRun, type LastGood } from '../../client/reset';
import { awaitOutcome } from './operate';
import { ok, type CommandOutput } from './output';

/** Where to reset to: an event id, or the last good workflow task. */
export type ResetTarget = number | 'last-good';

/** Options of `reset`. */
export interface ResetOptions {
  to: ResetTarget;
  runId?: string;
  reason?: string;
  wait?: boolean;
}

/**
 * Resets the run (the latest, or `--run-id`) to the chosen workflow task and prints the new run's
 * id; with `--wait`, then waits for the new run's outcome.
 */
export async function reset(conn: CliConnection, workflowId: string, opts: ResetOptions): Promise<CommandOutput> {
  const { client } = conn;
  const done = await withProgress(
    `resetting ${workflowId}`,
    async (progress) => {
      const runId = opts.runId ?? (await client.workflow.getHandle(workflowId).describe()).runId;
      progress.update(`reading the history of ${workflowId} (run ${runId})`);
      const events = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
      let eventId: number;
      let good: LastGood | undefined;
      if (opts.to === 'last-good') {
        good = lastGood(events);
        if (!good) {
          throw new OperationError({
            code: 'nothing-to-reset',
            message: `--to last-good: run ${runId} of ${workflowId} has no failure to roll back past; pass --to <eventId> to reset to a workflow task of your choice`,
            field: '--to',
            expected: 'a run with a failure, or an explicit --to <eventId>',
          });
        }
        eventId = good.eventId;
      } else {
        const wanted = opts.to;
        const event = events.find((e) => Number(e.eventId) === wanted);
        if (!event || !RESET_POINT_TYPES.has(event.eventType!)) {
          const candidates = events.filter((e) => e.workflowTaskCompletedEventAttributes).map((e) => String(e.eventId));
          throw new UsageError({
            code: 'bad-reset-point',
            message:
              `--to ${wanted}: ` +
              (event ? `event ${wanted} is ${eventTypeName(event.eventType)}` : `run ${runId} has no event ${wanted} (it has ${events.length})`) +
              `; expected the id of a WorkflowTaskCompleted event (in this run: ${candidates.join(', ')}) or last-good`,
            field: '--to',
            expected: `a WorkflowTaskCompleted event id (${candidates.join(', ')}) or last-good`,
          });
        }
        eventId = wanted;
      }
      progress.update(`resetting ${workflowId} (run ${runId}) to event ${eventId}`);
      const reason = opts.reason ?? (good ? `steadfast reset to last-good (before ${good.failure.type} at event ${good.failure.eventId})` : `steadfast reset to event ${eventId}`);
      const newRunId = await resetRun(client, { workflowId, runId, eventId, reason });
      return { workflowId, runId, eventId, to: opts.to, ...(good ? { firstFailure: good.failure } : {}), reapplied: 'signals', newRunId };
    },
    (r) => ({ ok: true, text: `reset ${workflowId} to event ${r.eventId}: new run ${r.newRunId}` }),
  );
  const why = done.firstFailure ? ` (the last workflow task completed before the first failure, event ${done.firstFailure.eventId} ${done.firstFailure.type})` : '';
  const text = `reset ${workflowId} (run ${done.runId}) to event ${done.eventId}${why}; signals after it reapplied\nnew run id: ${done.newRunId}`;
  if (!opts.wait) return ok(done, text);
  const waited = await awaitOutcome(client.workflow.getHandle(workflowId, done.newRunId), workflowId, done);
  return { ...waited, text: `${text}\n${waited.text}` };
}
