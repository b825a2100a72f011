/**
 * The reliability formulas on synthetic fault sequences whose answers are worked out by hand in the
 * comments (times in ms; T0 is an arbitrary epoch offset so the numbers look like real ones).
 */
import { BUSINESS_REJECTIONS } from '../contracts/rejections';
import assert from 'node:assert/strict';
import {
  computeMetrics,
  distribution,
  percentile,
  recoveryTime,
  timeToDetect,
  timeToRecover,
  type FaultRecord,
} from '../src/chaos/metrics';
import { temporal } from '@temporalio/proto';
import type { Client } from '@temporalio/client';
import { AttemptObserver } from '../src/chaos/attempt-observer';
import { extractFaultRecords } from '../src/chaos/fault-records';

const T0 = 1_780_000_000_000;
const at = (ms: number) => T0 + ms;

/**
 * Seven faults in a 60 s window (T0 .. T0+60 000):
 *
 * | # | kind        | injected | detected | recovered | T_FD   | T_R  | T_RT   | correct |
 * |---|-------------|----------|----------|-----------|--------|------|--------|---------|
 * | 1 | transient   |    1 000 |    1 010 |     2 050 |     10 | 1040 |   1050 | yes     |
 * | 2 | transient   |    5 000 |    5 000 |     6 020 |      0 | 1020 |   1020 | yes     |
 * | 3 | timeout     |   10 000 |   20 000 |    21 030 | 10 000 | 1030 | 11 030 | yes     |
 * | 4 | worker-kill |   30 000 |   38 500 |    39 700 |  8 500 | 1200 |  9 700 | yes     |
 * | 5 | permanent   |   40 000 |   40 005 |         — |      5 |    — |      — | yes     |
 * | 6 | lost-ack    |   50 000 |   50 002 |    51 100 |      2 | 1098 |  1 100 | no      |
 * | 7 | worker-kill |   55 000 |        — |         — |      — |    — |      — | yes     |
 */
const sequence: FaultRecord[] = [
  { kind: 'transient', workflowId: 'w1', injectedAt: at(1_000), detectedAt: at(1_010), recoveredAt: at(2_050), outcomeCorrect: true },
  { kind: 'transient', workflowId: 'w2', injectedAt: at(5_000), detectedAt: at(5_000), recoveredAt: at(6_020), outcomeCorrect: true },
  { kind: 'timeout', workflowId: 'w3', injectedAt: at(10_000), detectedAt: at(20_000), recoveredAt: at(21_030), outcomeCorrect: true },
  { kind: 'worker-kill', workflowId: 'w4', injectedAt: at(30_000), detectedAt: at(38_500), recoveredAt: at(39_700), outcomeCorrect: true },
  { kind: 'permanent', workflowId: 'w5', injectedAt: at(40_000), detectedAt: at(40_005), outcomeCorrect: true },
  { kind: 'lost-ack', workflowId: 'w6', injectedAt: at(50_000), detectedAt: at(50_002), recoveredAt: at(51_100), outcomeCorrect: false },
  { kind: 'worker-kill', injectedAt: at(55_000), outcomeCorrect: true },
];

describe('reliability metrics (pure functions)', function () {
  describe('percentile (nearest rank)', function () {
    it('picks the value at rank ceil(p/100 * n)', function () {
      const v = [0, 2, 5, 10, 8_500, 10_000];
      // n = 6: p50 → rank ceil(3) = 3 → 5; p95 → rank ceil(5.7) = 6 → 10 000; p100 → rank 6.
      assert.equal(percentile(v, 50), 5);
      assert.equal(percentile(v, 95), 10_000);
      assert.equal(percentile(v, 100), 10_000);
      // p1 → rank ceil(0.06) = 1 → the smallest value.
      assert.equal(percentile(v, 1), 0);
    });

    it('is null for no values, the value itself for one, and rejects p outside (0, 100]', function () {
      assert.equal(percentile([], 50), null);
      assert.equal(percentile([42], 95), 42);
      assert.throws(() => percentile([1], 0), /p must be in \(0, 100\]/);
      assert.throws(() => percentile([1], 101), /p must be in \(0, 100\]/);
    });

    it('sorts before taking ranks', function () {
      // [3, 1, 2] sorted is [1, 2, 3]: p50 → rank ceil(1.5) = 2 → 2; mean 6/3 = 2; max 3.
      assert.deepEqual(distribution([3, 1, 2]), { count: 3, p50: 2, p95: 3, max: 3, mean: 2 });
    });
  });

  describe('per-fault times', function () {
    it('T_RT = T_FD + T_R, and undefined when a time is missing', function () {
      const [first, , , , permanent, , idleKill] = sequence;
      assert.equal(timeToDetect(first), 10);
      assert.equal(timeToRecover(first), 1_040);
      assert.equal(recoveryTime(first), 1_050);
      assert.equal(timeToDetect(permanent), 5);
      assert.equal(timeToRecover(permanent), undefined);
      assert.equal(recoveryTime(permanent), undefined);
      assert.equal(timeToDetect(idleKill), undefined);
      for (const f of sequence) {
        const rt = recoveryTime(f);
        if (rt !== undefined) assert.equal(rt, timeToDetect(f)! + timeToRecover(f)!);
      }
    });
  });

  describe('computeMetrics on the seven-fault sequence', function () {
    const m = computeMetrics(sequence, { start: at(0), end: at(60_000) });

    it('counts faults, by kind, and derives MTBF and λ from the window', function () {
      assert.equal(m.windowMs, 60_000);
      assert.equal(m.faults, 7);
      assert.deepEqual(m.faultsByKind, { transient: 2, timeout: 1, 'worker-kill': 2, permanent: 1, 'lost-ack': 1 });
      // MTBF = 60 000 ms / 7 faults = 8 571.43 ms; λ = 7 faults / 60 s = 0.11667 per second.
      assert.ok(Math.abs(m.mtbfMs! - 8_571.428_571) < 1e-3);
      assert.ok(Math.abs(m.failureRatePerSecond - 0.116_666_67) < 1e-6);
      assert.ok(Math.abs(m.failureRatePerSecond - 1_000 / m.mtbfMs!) < 1e-12, 'λ = 1 / MTBF');
    });

    it('T_FD over the six faults that were detected', function () {
      // sorted [0, 2, 5, 10, 8 500, 10 000], n = 6: p50 rank 3 → 5; p95 rank 6 → 10 000;
      // mean (0+2+5+10+8 500+10 000) / 6 = 18 517 / 6 = 3 086.17.
      assert.equal(m.tFD.count, 6);
      assert.equal(m.tFD.p50, 5);
      assert.equal(m.tFD.p95, 10_000);
      assert.equal(m.tFD.max, 10_000);
      assert.ok(Math.abs(m.tFD.mean! - 18_517 / 6) < 1e-9);
    });

    it('T_R over the five faults that recovered', function () {
      // sorted [1 020, 1 030, 1 040, 1 098, 1 200], n = 5: p50 rank ceil(2.5) = 3 → 1 040;
      // p95 rank ceil(4.75) = 5 → 1 200; mean 5 388 / 5 = 1 077.6.
      assert.deepEqual(m.tR, { count: 5, p50: 1_040, p95: 1_200, max: 1_200, mean: 1_077.6 });
    });

    it('T_RT over the same five', function () {
      // sorted [1 020, 1 050, 1 100, 9 700, 11 030]: p50 rank 3 → 1 100; p95 rank 5 → 11 030;
      // mean 23 900 / 5 = 4 780.
      assert.deepEqual(m.tRT, { count: 5, p50: 1_100, p95: 11_030, max: 11_030, mean: 4_780 });
    });

    it('T_RT by kind', function () {
      // transient [1 020, 1 050]: p50 rank 1 → 1 020, p95 rank ceil(1.9) = 2 → 1 050, mean 1 035.
      assert.deepEqual(m.tRTByKind.transient, { count: 2, p50: 1_020, p95: 1_050, max: 1_050, mean: 1_035 });
      // worker-kill: only #4 recovered (the idle kill has no times).
      assert.deepEqual(m.tRTByKind['worker-kill'], { count: 1, p50: 9_700, p95: 9_700, max: 9_700, mean: 9_700 });
      // permanent: counted, never recovered.
      assert.deepEqual(m.tRTByKind.permanent, { count: 0, p50: null, p95: null, max: null, mean: null });
    });

    it('fault-tolerance rate: 6 of 7 faults were followed by a correct outcome', function () {
      assert.deepEqual(m.faultTolerance, { tolerated: 6, total: 7, rate: 6 / 7 });
    });
  });

  it('with no fault: MTBF unbounded (null), λ 0, tolerance rate undefined (null)', function () {
    const m = computeMetrics([], { start: at(0), end: at(10_000) });
    assert.equal(m.faults, 0);
    assert.equal(m.mtbfMs, null);
    assert.equal(m.failureRatePerSecond, 0);
    assert.deepEqual(m.faultTolerance, { tolerated: 0, total: 0, rate: null });
    assert.equal(m.tRT.count, 0);
  });

  it('one fault in a 2 s window: MTBF 2 000 ms, λ 0.5/s', function () {
    const m = computeMetrics(
      [{ kind: 'timeout', injectedAt: at(100), detectedAt: at(1_100), recoveredAt: at(1_600), outcomeCorrect: true }],
      { start: at(0), end: at(2_000) },
    );
    // T_FD = 1 100 − 100 = 1 000; T_R = 1 600 − 1 100 = 500; T_RT = 1 500.
    assert.equal(m.mtbfMs, 2_000);
    assert.equal(m.failureRatePerSecond, 0.5);
    assert.deepEqual([m.tFD.max, m.tR.max, m.tRT.max], [1_000, 500, 1_500]);
  });

  it('rejects an empty or reversed window', function () {
    assert.throws(() => computeMetrics([], { start: at(5), end: at(5) }), /window must be positive/);
    assert.throws(() => computeMetrics([], { start: at(5), end: at(1) }), /window must be positive/);
  });
});

describe('fault records from a synthetic history', function () {
  /** An event at T0 + ms, decoded as the SDK decodes a fetched history. */
  const ev = (eventId: number, ms: number, attrs: Record<string, unknown>) =>
    temporal.api.history.v1.HistoryEvent.fromObject({
      eventId,
      eventTime: { seconds: Math.floor(at(ms) / 1000), nanos: (at(ms) % 1000) * 1e6 },
      ...attrs,
    });

  /**
   * chargePayment: attempts 1 and 2 fail with a transient fault (unobserved: no samples), attempt
   * 3 ends with `finalType`. History: scheduled at 0, attempt 3 started at 3 000 with lastFailure =
   * attempt 2's transient, failed at 3 010.
   */
  const history = (finalType: string) => [
    ev(5, 0, { activityTaskScheduledEventAttributes: { activityId: '1', activityType: { name: 'chargePayment' }, startToCloseTimeout: { seconds: 10 } } }),
    ev(6, 3_000, {
      activityTaskStartedEventAttributes: {
        scheduledEventId: 5,
        attempt: 3,
        identity: 'w1',
        lastFailure: { message: '[simulated] transient', applicationFailureInfo: { type: 'SimulatedTransientFault' } },
      },
    }),
    ev(7, 3_010, {
      activityTaskFailedEventAttributes: {
        scheduledEventId: 5,
        failure: { message: 'attempt 3 failed', applicationFailureInfo: { type: finalType, nonRetryable: true } },
      },
    }),
  ];
  const opts = { workflowId: 'order-1', outcomeCorrect: true, kills: [], attemptFailures: [], businessRejections: BUSINESS_REJECTIONS };

  it('counts the retried transient attempts and not the business rejection that ended the step', function () {
    // Attempt 2's type is the last attempt's lastFailure (transient), not the final CardDeclined;
    // attempt 1 takes the type of attempt 2. The declined attempt 3 is an answer, not a fault.
    assert.deepEqual(
      extractFaultRecords(history('CardDeclined'), opts).map((r) => [r.kind, r.step, r.recoveredAt]),
      [
        ['transient', 'chargePayment', undefined],
        ['transient', 'chargePayment', undefined],
      ],
    );
  });

  it('counts a final failure that is not a business rejection', function () {
    assert.deepEqual(
      extractFaultRecords(history('SimulatedPermanentFault'), opts).map((r) => [r.kind, r.detectedAt]),
      [
        ['transient', undefined],
        ['transient', undefined],
        ['permanent', at(3_010)],
      ],
    );
  });
});

describe('attempt observer bookkeeping on synthetic samples', function () {
  const { PENDING_ACTIVITY_STATE_STARTED, PENDING_ACTIVITY_STATE_SCHEDULED } = temporal.api.enums.v1.PendingActivityState;
  const ts = (ms: number) => ({ seconds: Math.floor(at(ms) / 1000), nanos: (at(ms) % 1000) * 1e6 });
  const transient = { message: '[simulated] transient', applicationFailureInfo: { type: 'SimulatedTransientFault' } };
  const timedOut = { message: 'activity StartToClose timeout', timeoutFailureInfo: { timeoutType: 1 } };
  /** One sample of a run whose only pending activity is `refundPayment`. */
  const sample = (p: Record<string, unknown>) =>
    temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse.fromObject({
      pendingActivities: [{ activityId: '9', activityType: { name: 'refundPayment' }, lastWorkerIdentity: 'w1', ...p }],
    });

  /**
   * Attempt 1 starts at 1 000 and fails (transient) at 1 010; attempt 2 starts at 2 010 on worker
   * w1, which is killed at 2 500; the server times attempt 2 out at 12 010 but leaves
   * lastAttemptCompleteTime at attempt 1's 1 010; attempt 3 starts at 12 600 and completes at 12 650.
   */
  it("does not take a timed-out attempt's stale completion time as its detection", function () {
    const observer = new AttemptObserver({} as Client, 'default');
    observer.record('order-2', sample({ attempt: 1, state: PENDING_ACTIVITY_STATE_STARTED, lastStartedTime: ts(1_000) }));
    observer.record('order-2', sample({ attempt: 2, state: PENDING_ACTIVITY_STATE_SCHEDULED, lastFailure: transient, lastAttemptCompleteTime: ts(1_010) }));
    observer.record('order-2', sample({ attempt: 2, state: PENDING_ACTIVITY_STATE_STARTED, lastStartedTime: ts(2_010), lastFailure: transient, lastAttemptCompleteTime: ts(1_010) }));
    observer.record('order-2', sample({ attempt: 3, state: PENDING_ACTIVITY_STATE_SCHEDULED, lastFailure: timedOut, lastAttemptCompleteTime: ts(1_010) }));
    assert.deepEqual(
      observer.failures().map((f) => [f.attempt, f.failureType, f.startedAt, f.detectedAt]),
      [
        [1, 'SimulatedTransientFault', at(1_000), at(1_010)],
        [2, 'timeout:TIMEOUT_TYPE_START_TO_CLOSE', at(2_010), undefined],
      ],
    );
    const ev = (eventId: number, ms: number, attrs: Record<string, unknown>) =>
      temporal.api.history.v1.HistoryEvent.fromObject({ eventId, eventTime: ts(ms), ...attrs });
    const history = [
      ev(5, 0, { activityTaskScheduledEventAttributes: { activityId: '9', activityType: { name: 'refundPayment' }, startToCloseTimeout: { seconds: 10 } } }),
      ev(6, 12_600, { activityTaskStartedEventAttributes: { scheduledEventId: 5, attempt: 3, identity: 'w2', lastFailure: timedOut } }),
      ev(7, 12_650, { activityTaskCompletedEventAttributes: { scheduledEventId: 5 } }),
    ];
    const records = extractFaultRecords(history, {
      workflowId: 'order-2',
      outcomeCorrect: true,
      kills: [{ at: at(2_500), pid: 1, workerIdentity: 'w1' }],
      attemptFailures: observer.failures(),
    });
    // The timeout is the kill's: injected at the kill, noticed when the 10 s start-to-close timer fired.
    assert.deepEqual(
      records.map((r) => [r.kind, r.injectedAt, r.detectedAt, r.recoveredAt]),
      [
        ['transient', at(1_000), at(1_010), at(12_650)],
        ['worker-kill', at(2_500), at(12_010), at(12_650)],
      ],
    );
  });
});

describe('STEADFAST_METRICS_PORT', function () {
  it('binds a bare port on loopback, keeps host:port, and names the variable when the value is bad', async function () {
    const { metricsBindAddress } = await import('../src/platform/runtime');
    assert.equal(metricsBindAddress('9464'), '127.0.0.1:9464');
    assert.equal(metricsBindAddress(9464), '127.0.0.1:9464');
    assert.equal(metricsBindAddress('0.0.0.0:9464'), '0.0.0.0:9464');
    for (const bad of ['', 'abc', '70000', '0', 'host:']) {
      assert.throws(() => metricsBindAddress(bad), /STEADFAST_METRICS_PORT must be a port \(1-65535\) or host:port/);
    }
  });
});
