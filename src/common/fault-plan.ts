/**
 * The fault plan: which activities of one run should fail, and how. It lives outside every domain
 * type. A client puts it in the run's memo under {@link FAULT_PLAN_MEMO_KEY}; the workflow
 * interceptor (`workflows/interceptors.ts`) copies it into each activity's headers; the activity
 * interceptor (`activities/fault-injection.ts`) acts on it. Domain code never sees it.
 *
 * Keys are activity type names (compensations included), e.g. `{ chargePayment: { kind: 'transient', times: 2 } }`.
 */

/** How one activity misbehaves. `times` counts attempts from the first (default 1). */
export type FaultSpec =
  /** Fails before the effect, retryably, on the first `times` attempts. */
  | { kind: 'transient'; times: number }
  /** Fails before the effect, non-retryably, on every attempt. */
  | { kind: 'permanent' }
  /** Never replies on the first `times` attempts, so the activity's timeout fires. */
  | { kind: 'hang'; times?: number }
  /** Performs the effect, then loses the reply on the first `times` attempts. */
  | { kind: 'lost-ack'; times?: number }
  /**
   * Performs the effect, then never replies on the first `times` attempts, so the activity times out
   * after its effect landed (a slow network, a worker that stalls after committing).
   */
  | { kind: 'hang-after-effect'; times?: number };

export type FaultKind = FaultSpec['kind'];

/**
 * Activity type name → its fault, or a sequence of faults consumed attempt by attempt: each spec
 * covers its `times` attempts (a `permanent` one covers all the rest), e.g. "the reply is lost on
 * attempts 1–9, and attempt 10 hangs after its effect":
 * `[{ kind: 'lost-ack', times: 9 }, { kind: 'hang-after-effect', times: 1 }]`.
 */
export type FaultPlan = Record<string, FaultSpec | FaultSpec[]>;

/** Memo key under which a client passes the fault plan of a run. */
export const FAULT_PLAN_MEMO_KEY = 'steadfast.faults';

/** Activity header that carries the fault plan from the workflow to the activity worker. */
export const FAULT_PLAN_HEADER = 'steadfast-faults';
