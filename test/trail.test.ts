/**
 * The trail of a run, built from history events: synthetic sequences with known answers.
 */
import assert from 'node:assert/strict';
import Long from 'long';
import type { temporal } from '@temporalio/proto';
import { trailFromEvents } from '../src/client/trail';

type Event = temporal.api.history.v1.IHistoryEvent;

/** Event ids and seconds are int64 (Long) in the protos. */
const n = (value: number) => Long.fromNumber(value);

const scheduled = (eventId: number, name: string): Event => ({
  eventId: n(eventId),
  activityTaskScheduledEventAttributes: { activityType: { name } },
});

describe('trailFromEvents', function () {
  it('reports the attempt that completed an activity and the last failure before it', function () {
    const trail = trailFromEvents([
      scheduled(5, 'chargePayment'),
      { eventId: n(6), activityTaskStartedEventAttributes: { scheduledEventId: n(5), attempt: 3, lastFailure: { message: 'card network down' } } },
      { eventId: n(7), activityTaskCompletedEventAttributes: { scheduledEventId: n(5) } },
    ]);
    assert.deepEqual(trail, [
      { kind: 'activity', name: 'chargePayment', attempts: 3, outcome: 'completed', lastFailure: 'card network down' },
    ]);
  });

  it('marks an activity whose cancellation was requested, and never confirmed, as abandoned', function () {
    const trail = trailFromEvents([
      scheduled(5, 'createShipment'),
      { eventId: n(9), workflowExecutionCancelRequestedEventAttributes: {} },
      { eventId: n(11), activityTaskCancelRequestedEventAttributes: { scheduledEventId: n(5) } },
      scheduled(12, 'cancelShipment'),
    ]);
    assert.deepEqual(
      trail.map((s) => [s.kind, s.name, s.outcome]),
      [
        ['activity', 'createShipment', 'abandoned'],
        ['cancel-requested', 'cancel', 'received'],
        ['activity', 'cancelShipment', 'pending'],
      ],
    );
  });

  it('a confirmed cancellation wins over the request', function () {
    const trail = trailFromEvents([
      scheduled(5, 'runStage'),
      { eventId: n(8), activityTaskCancelRequestedEventAttributes: { scheduledEventId: n(5) } },
      { eventId: n(10), activityTaskCanceledEventAttributes: { scheduledEventId: n(5) } },
    ]);
    assert.equal(trail[0].outcome, 'cancelled');
  });

  it('reads timers and their durations, fired or cancelled', function () {
    const trail = trailFromEvents([
      { eventId: n(3), timerStartedEventAttributes: { startToFireTimeout: { seconds: n(259200) } } },
      { eventId: n(4), timerFiredEventAttributes: { startedEventId: n(3) } },
      { eventId: n(5), timerStartedEventAttributes: { startToFireTimeout: { seconds: n(1), nanos: 500_000_000 } } },
      { eventId: n(6), timerCanceledEventAttributes: { startedEventId: n(5) } },
    ]);
    assert.deepEqual(
      trail.map((s) => [s.name, s.outcome]),
      [
        ['259200s', 'fired'],
        ['1.5s', 'cancelled'],
      ],
    );
  });
});
