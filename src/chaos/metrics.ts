/**
 * Reliability metrics over a run's fault records: pure functions, no I/O.
 *
 * A {@link FaultRecord} is one fault as the system experienced it, built from real events by
 * `fault-records.ts` (history timestamps, the attempt observer's server timestamps, the harness's
 * kill log). From a sequence of them and the observation window this module computes the seed's
 * figures:
 *
 *   injected ──T_FD──► detected ──T_R──► recovered          T_RT = T_FD + T_R
 *
 * - fault count, MTBF = window / faults, λ = 1 / MTBF (faults per second);
 * - T_FD, T_R, T_RT as p50 / p95 / max (nearest-rank percentiles) over the faults that have the
 *   timestamps each one needs;
 * - the fault-tolerance rate: tolerated faults / faults, where a fault is tolerated when the run it
 *   hit still reached its correct terminal state.
 */

/**
 * What kind of fault a record describes. The first four are injected by a run's fault plan
 * (`hang` in the plan shows up as `timeout`); `worker-kill`, `server-restart` and `node-kill` (a
 * cluster's server node SIGKILLed) by the harness;
 * `other` is a failure nobody injected (a real one), counted all the same.
 */
export const OBSERVED_FAULT_KINDS = [
  'transient',
  'permanent',
  'timeout',
  'lost-ack',
  'worker-kill',
  'server-restart',
  'node-kill',
  'other',
] as const;

/** See {@link OBSERVED_FAULT_KINDS}. */
export type ObservedFaultKind = (typeof OBSERVED_FAULT_KINDS)[number];

/**
 * One fault. Times are milliseconds since the epoch, all read from the same machine clock (the
 * server's event times and the harness's kill log share it: everything runs on loopback).
 * A time is undefined when no source recorded it; such a fault still counts in the fault count,
 * MTBF, λ and the tolerance rate, but not in the time distributions that need the missing time.
 */
export interface FaultRecord {
  kind: ObservedFaultKind;
  /** The run it hit; undefined for a fault that hit no run (a kill of an idle worker). */
  workflowId?: string;
  workflowType?: string;
  /** The activity type it hit, or `"workflow task"`. */
  step?: string;
  /** When the fault happened: the kill time, or the start of the attempt that failed. */
  injectedAt?: number;
  /** When the server noticed: the attempt's failure or timeout, a workflow task timeout. */
  detectedAt?: number;
  /** When the step it hit succeeded afterwards; undefined when it never did (a permanent fault). */
  recoveredAt?: number;
  /** True when the run it hit (or, for a fault that hit no run, every run) ended correctly. */
  outcomeCorrect: boolean;
}

/** A distribution of durations in milliseconds; the statistics are null when `count` is 0. */
export interface Distribution {
  count: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
  mean: number | null;
}

/** The observation window: from the first run's start to the last run's close. */
export interface ObservationWindow {
  start: number;
  end: number;
}

/** Everything {@link computeMetrics} returns. */
export interface ReliabilityMetrics {
  windowMs: number;
  faults: number;
  faultsByKind: Partial<Record<ObservedFaultKind, number>>;
  /** Mean time between failures in ms; null when there was no fault (it is unbounded). */
  mtbfMs: number | null;
  /** λ = 1 / MTBF, in faults per second (0 when there was no fault). */
  failureRatePerSecond: number;
  /** Time to detect: detectedAt − injectedAt. */
  tFD: Distribution;
  /** Time to recover: recoveredAt − detectedAt. */
  tR: Distribution;
  /** Recovery time T_RT = T_FD + T_R, over the faults that have all three times. */
  tRT: Distribution;
  /** T_RT by fault kind, for the report. */
  tRTByKind: Partial<Record<ObservedFaultKind, Distribution>>;
  faultTolerance: { tolerated: number; total: number; rate: number | null };
}

/**
 * The p-th percentile by the nearest-rank method: the value at rank ⌈p/100 · n⌉ (1-based) of the
 * sorted values. Always one of the values, never an interpolation, so it is easy to check by hand.
 * @param sorted values in ascending order
 * @param p in (0, 100]
 */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile: p must be in (0, 100], got ${p}`);
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.max(rank, 1) - 1];
}

/** p50, p95, max and mean of a set of durations. */
export function distribution(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  return {
    count: n,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    max: n ? sorted[n - 1] : null,
    mean: n ? sorted.reduce((s, v) => s + v, 0) / n : null,
  };
}

/** T_FD of one fault, when both of its times are known. */
export function timeToDetect(f: FaultRecord): number | undefined {
  return f.injectedAt !== undefined && f.detectedAt !== undefined ? f.detectedAt - f.injectedAt : undefined;
}

/** T_R of one fault, when both of its times are known. */
export function timeToRecover(f: FaultRecord): number | undefined {
  return f.detectedAt !== undefined && f.recoveredAt !== undefined ? f.recoveredAt - f.detectedAt : undefined;
}

/**
 * T_RT of one fault: T_FD + T_R, defined only when all three times are known, so that
 * T_RT = T_FD + T_R holds for every fault that enters the distribution.
 */
export function recoveryTime(f: FaultRecord): number | undefined {
  const fd = timeToDetect(f);
  const r = timeToRecover(f);
  return fd !== undefined && r !== undefined ? fd + r : undefined;
}

function defined(values: Array<number | undefined>): number[] {
  return values.filter((v): v is number => v !== undefined);
}

/**
 * Computes the reliability metrics of a run from its fault records and observation window.
 * @throws RangeError when the window is empty or reversed
 */
export function computeMetrics(faults: readonly FaultRecord[], window: ObservationWindow): ReliabilityMetrics {
  const windowMs = window.end - window.start;
  if (!(windowMs > 0)) {
    throw new RangeError(`computeMetrics: the observation window must be positive, got ${window.start}..${window.end}`);
  }
  const n = faults.length;
  const faultsByKind: Partial<Record<ObservedFaultKind, number>> = {};
  const tRTByKindValues: Partial<Record<ObservedFaultKind, number[]>> = {};
  for (const f of faults) {
    faultsByKind[f.kind] = (faultsByKind[f.kind] ?? 0) + 1;
    const rt = recoveryTime(f);
    if (rt !== undefined) (tRTByKindValues[f.kind] ??= []).push(rt);
  }
  const tRTByKind: Partial<Record<ObservedFaultKind, Distribution>> = {};
  for (const kind of OBSERVED_FAULT_KINDS) {
    if (faultsByKind[kind]) tRTByKind[kind] = distribution(tRTByKindValues[kind] ?? []);
  }
  const tolerated = faults.filter((f) => f.outcomeCorrect).length;
  return {
    windowMs,
    faults: n,
    faultsByKind,
    mtbfMs: n ? windowMs / n : null,
    failureRatePerSecond: n / (windowMs / 1000),
    tFD: distribution(defined(faults.map(timeToDetect))),
    tR: distribution(defined(faults.map(timeToRecover))),
    tRT: distribution(defined(faults.map(recoveryTime))),
    tRTByKind,
    faultTolerance: { tolerated, total: n, rate: n ? tolerated / n : null },
  };
}
