/**
 * Reproducible randomness for a chaos run: one seeded generator (pure-rand's xoroshiro128+) from
 * which every choice is drawn in a fixed order (each run's fault plan and input, then the kill
 * schedule), so the same seed and options give the same plans and schedule.
 */
import prand from 'pure-rand';
import type { FaultSpec } from '../common/fault-plan';

/** A chaos run's fault plan: at most one fault per activity (a subset of what a `FaultPlan` allows). */
export type ChaosFaultPlan = Record<string, FaultSpec>;

/** A seeded source of numbers. */
export class Rng {
  private readonly gen: prand.RandomGenerator;

  constructor(
    /** The seed: the same seed gives the same sequence of draws. */
    readonly seed: number,
  ) {
    this.gen = prand.xoroshiro128plus(seed);
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return prand.unsafeUniformIntDistribution(min, max, this.gen);
  }

  /** A number in [0, 1). */
  float(): number {
    return this.int(0, 2 ** 30 - 1) / 2 ** 30;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }
}

/** Probability, per activity call of a run, of each injected fault kind (at most one per activity). */
export interface FaultRates {
  transient: number;
  permanent: number;
  /** The activity hangs past its start-to-close timeout (the plan's `hang`). */
  timeout: number;
  lostAck: number;
}

/**
 * Draws one run's fault plan: for each activity, one uniform draw decides between the kinds
 * (cumulatively, in the order transient, permanent, timeout, lost-ack) or no fault. A transient
 * fault fails the first one or two attempts; the others hit the first attempt only.
 */
export function drawFaultPlan(rng: Rng, activities: readonly string[], rates: FaultRates): ChaosFaultPlan {
  const plan: ChaosFaultPlan = {};
  for (const activity of activities) {
    const u = rng.float();
    let edge = 0;
    let spec: FaultSpec | undefined;
    if (u < (edge += rates.transient)) spec = { kind: 'transient', times: rng.int(1, 2) };
    else if (u < (edge += rates.permanent)) spec = { kind: 'permanent' };
    else if (u < (edge += rates.timeout)) spec = { kind: 'hang', times: 1 };
    else if (u < (edge += rates.lostAck)) spec = { kind: 'lost-ack', times: 1 };
    if (spec) plan[activity] = spec;
  }
  return plan;
}

/** `count` moments in ms after the start, uniform in [minMs, maxMs], ascending. */
export function drawSchedule(rng: Rng, count: number, minMs: number, maxMs: number): number[] {
  return Array.from({ length: count }, () => minMs + Math.floor(rng.float() * (maxMs - minMs))).sort((a, b) => a - b);
}
