/**
 * The fault plan: which activities of one run should fail, and how. It lives outside every domain
 * type. A client puts it in the run's memo under {@link FAULT_PLAN_MEMO_KEY}; the workflow
 * interceptor checks it with {@link checkFaultPlan} before the run does anything, then copies it into
 * each activity's headers; the activity interceptor checks it again and acts on it. Domain code never
 * sees it. A plan that does not match `faultPlanSchema` (`steadfast/schemas`) fails the run non-retryably with
 * {@link INVALID_FAULT_PLAN}: it is never half-understood or ignored.
 *
 * Keys are activity type names (compensations included), e.g. `{ chargePayment: { kind: 'transient', times: 2 } }`.
 */
import type * as FaultPlanSchemas from './fault-plan-schema';

/**
 * The zod schemas, loaded on first use. The workflow sandbox evaluates every module a run imports,
 * once per run, and zod is over a hundred modules: a static import made every run pay for it (a
 * third of a short saga's worker CPU), though only a run that carries a fault plan needs it.
 */
function schemas(): typeof FaultPlanSchemas {
  // eslint-disable-next-line @typescript-eslint/no-require-imports, no-restricted-globals -- lazy on purpose, see above
  return require('./fault-plan-schema') as typeof FaultPlanSchemas;
}

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

/** The kind of a fault: `transient`, `permanent`, `hang`, `lost-ack` or `hang-after-effect` (see {@link FaultSpec}). */
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

/** Failure type of a run (or activity) whose fault plan is malformed; not retryable. */
export const INVALID_FAULT_PLAN = 'InvalidFaultPlan';

/** Every fault kind, in the order the docs list them. */
export const FAULT_KINDS: readonly FaultKind[] = ['transient', 'permanent', 'hang', 'lost-ack', 'hang-after-effect'];

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * The problems of a fault plan, one line each naming the activity and field; empty when the plan is
 * valid. With `activities`, names outside that list are problems too (the list is said in full).
 */
export function checkFaultPlan(value: unknown, activities?: readonly string[]): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const hint = typeof value === 'string' ? ' (send the plan as a JSON object, not as a string holding JSON)' : '';
    return [`(plan): expected an object mapping activity names to faults, got ${describe(value)}${hint}`];
  }
  const problems: string[] = [];
  const { faultSequence, faultSpec } = schemas();
  // Entry by entry, so that each problem names its activity and field (a union would only say
  // that neither a fault nor a list of faults matched).
  for (const [name, entry] of Object.entries(value)) {
    const parsed = (Array.isArray(entry) ? faultSequence : faultSpec).safeParse(entry);
    if (parsed.success) continue;
    for (const issue of parsed.error.issues) problems.push(`${[name, ...issue.path].join('.')}: ${issue.message}`);
  }
  if (Object.keys(value).some((name) => name.length === 0)) problems.push('(plan): expected activity names, got ""');
  if (activities) {
    for (const name of Object.keys(value)) {
      if (!activities.includes(name)) {
        problems.push(`${name}: no activity of that name; expected one of: ${activities.join(', ')}`);
      }
    }
  }
  return problems;
}
