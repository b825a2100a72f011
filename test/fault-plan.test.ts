/**
 * Which fault applies to which attempt: single specs and sequences.
 */
import assert from 'node:assert/strict';
import { faultFor } from '../src/activity/fault-injection';
import type { FaultPlan } from '../src/common/fault-plan';

describe('fault plan', function () {
  const kinds = (plan: FaultPlan, activity: string, attempts: number) =>
    Array.from({ length: attempts }, (_, i) => faultFor(plan, activity, i + 1)?.kind ?? 'none');

  it('applies a single spec to its first `times` attempts (default 1), a permanent one to all', function () {
    const plan: FaultPlan = {
      a: { kind: 'transient', times: 2 },
      b: { kind: 'lost-ack' },
      c: { kind: 'permanent' },
      d: { kind: 'hang-after-effect', times: 3 },
    };
    assert.deepEqual(kinds(plan, 'a', 3), ['transient', 'transient', 'none']);
    assert.deepEqual(kinds(plan, 'b', 2), ['lost-ack', 'none']);
    assert.deepEqual(kinds(plan, 'c', 3), ['permanent', 'permanent', 'permanent']);
    assert.deepEqual(kinds(plan, 'd', 4), ['hang-after-effect', 'hang-after-effect', 'hang-after-effect', 'none']);
    assert.deepEqual(kinds(plan, 'other', 1), ['none']);
  });

  it('consumes a sequence attempt by attempt', function () {
    const plan: FaultPlan = {
      pay: [{ kind: 'lost-ack', times: 2 }, { kind: 'transient', times: 1 }, { kind: 'hang-after-effect' }],
      ship: [{ kind: 'transient', times: 1 }, { kind: 'permanent' }],
    };
    assert.deepEqual(kinds(plan, 'pay', 5), ['lost-ack', 'lost-ack', 'transient', 'hang-after-effect', 'none']);
    assert.deepEqual(kinds(plan, 'ship', 3), ['transient', 'permanent', 'permanent']);
  });
});
