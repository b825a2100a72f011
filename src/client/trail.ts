/**
 * A run's trail, read from its event history: each activity with its attempts and outcome, each
 * timer, signal and cancellation request, in order. The demo and the CLI print it; tests assert on it.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { fetchDecodedHistory } from '../codec';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** One step of a run's trail: an activity, a timer, a signal received or a cancellation request. */
export interface TrailStep {
  /** What the step is. */
  kind: 'activity' | 'timer' | 'signal' | 'cancel-requested';
  /** Activity type, timer duration or signal name. */
  name: string;
  /** For activities: the attempt that ended it. */
  attempts?: number;
  /**
   * `abandoned`: the workflow requested the activity's cancellation and moved on without waiting
   * for it (the default cancellation type), so the history never says how the attempt ended.
   */
  outcome: 'completed' | 'failed' | 'timed-out' | 'cancelled' | 'abandoned' | 'fired' | 'received' | 'pending';
  /** The last failure message seen by this step (a failed attempt, or the final failure). */
  lastFailure?: string;
}

function seconds(d: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return Number(d?.seconds ?? 0) + (d?.nanos ?? 0) / 1e9;
}

/** Builds the trail from history events. */
export function trailFromEvents(events: HistoryEvent[]): TrailStep[] {
  const steps: TrailStep[] = [];
  const bySchedule = new Map<string, TrailStep>();
  const byTimer = new Map<string, TrailStep>();
  for (const e of events) {
    const a = e.activityTaskScheduledEventAttributes;
    if (a) {
      const step: TrailStep = { kind: 'activity', name: a.activityType?.name ?? '?', outcome: 'pending' };
      bySchedule.set(String(e.eventId), step);
      steps.push(step);
      continue;
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const step = bySchedule.get(String(started.scheduledEventId));
      if (step) {
        step.attempts = started.attempt ?? undefined;
        if (started.lastFailure?.message) step.lastFailure = started.lastFailure.message;
      }
      continue;
    }
    const ended =
      (e.activityTaskCompletedEventAttributes && (['completed', e.activityTaskCompletedEventAttributes] as const)) ||
      (e.activityTaskFailedEventAttributes && (['failed', e.activityTaskFailedEventAttributes] as const)) ||
      (e.activityTaskTimedOutEventAttributes && (['timed-out', e.activityTaskTimedOutEventAttributes] as const)) ||
      (e.activityTaskCanceledEventAttributes && (['cancelled', e.activityTaskCanceledEventAttributes] as const));
    if (ended) {
      const [outcome, attrs] = ended;
      const step = bySchedule.get(String(attrs.scheduledEventId));
      if (step) {
        step.outcome = outcome;
        const failure = 'failure' in attrs ? attrs.failure : undefined;
        if (failure?.message) step.lastFailure = failure.cause?.message ? `${failure.message}: ${failure.cause.message}` : failure.message;
      }
      continue;
    }
    if (e.activityTaskCancelRequestedEventAttributes) {
      const step = bySchedule.get(String(e.activityTaskCancelRequestedEventAttributes.scheduledEventId));
      if (step?.outcome === 'pending') step.outcome = 'abandoned';
      continue;
    }
    if (e.timerStartedEventAttributes) {
      const step: TrailStep = {
        kind: 'timer',
        name: `${seconds(e.timerStartedEventAttributes.startToFireTimeout)}s`,
        outcome: 'pending',
      };
      byTimer.set(String(e.eventId), step);
      steps.push(step);
    } else if (e.timerFiredEventAttributes) {
      const step = byTimer.get(String(e.timerFiredEventAttributes.startedEventId));
      if (step) step.outcome = 'fired';
    } else if (e.timerCanceledEventAttributes) {
      const step = byTimer.get(String(e.timerCanceledEventAttributes.startedEventId));
      if (step) step.outcome = 'cancelled';
    } else if (e.workflowExecutionSignaledEventAttributes) {
      steps.push({ kind: 'signal', name: e.workflowExecutionSignaledEventAttributes.signalName ?? '?', outcome: 'received' });
    } else if (e.workflowExecutionCancelRequestedEventAttributes) {
      steps.push({ kind: 'cancel-requested', name: 'cancel', outcome: 'received' });
    }
  }
  return steps;
}

/**
 * Fetches a run's history (decrypted with the client's codec, if any) and builds its trail.
 *
 * @example
 * const steps = await trailOf(client.workflow.getHandle(workflowId));
 * console.log(formatTrail(steps));
 * //     1. activity bookFlight             completed after 2 attempts (last failure: flights API unavailable)
 * //     2. activity bookHotel              failed — hotel full
 * //     3. activity cancelFlight           completed
 */
export async function trailOf(handle: WorkflowHandle): Promise<TrailStep[]> {
  return trailFromEvents((await fetchDecodedHistory(handle)).events ?? []);
}

/** One line per step, for terminals. */
export function formatTrail(steps: TrailStep[], indent = '    '): string {
  return steps
    .map((s, i) => {
      const attempts = s.attempts && s.attempts > 1 ? ` after ${s.attempts} attempts` : '';
      const failure = s.lastFailure && s.outcome !== 'completed' ? ` — ${s.lastFailure}` : s.lastFailure ? ` (last failure: ${s.lastFailure})` : '';
      return `${indent}${String(i + 1).padStart(2)}. ${s.kind.padEnd(8)} ${s.name.padEnd(22)} ${s.outcome}${attempts}${failure}`;
    })
    .join('\n');
}
