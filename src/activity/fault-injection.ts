/**
 * Fault injection, from outside the domain: an activity inbound interceptor that reads the run's
 * fault plan from the activity headers (put there by Steadfast's workflow interceptor) and makes the
 * named activity fail at one of the three places that matter:
 *
 *   before the effect ──► effect commits ──► reply
 *      transient                lost-ack
 *      permanent                hang-after-effect (past the timeout)
 *      hang (past the timeout)
 *
 * Every failure thrown here is labelled `[simulated]` and has a `Simulated*` type, so nobody
 * mistakes it for a real one in logs, history or the UI.
 */
import { type Context } from '@temporalio/activity';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import { checkFaultPlan, FAULT_PLAN_HEADER, INVALID_FAULT_PLAN, type FaultPlan, type FaultSpec } from '../common/fault-plan';

/** Failure types of simulated faults; stable, so tests and metrics can count them. */
export const SimulatedFaultType = {
  /** A retryable failure before the effect (`transient` in the plan). */
  transient: 'SimulatedTransientFault',
  /** A non-retryable failure before the effect (`permanent` in the plan). */
  permanent: 'SimulatedPermanentFault',
  /** A retryable failure after the effect committed: its reply was "lost" (`lost-ack` in the plan). */
  lostAck: 'SimulatedLostAck',
} as const;

/** The fault that applies to the current attempt of the current activity, if any. */
export function faultFor(plan: FaultPlan | undefined, activityType: string, attempt: number): FaultSpec | undefined {
  const entry = plan?.[activityType];
  if (!entry) return undefined;
  let first = 1; // the first attempt the current spec covers
  for (const spec of Array.isArray(entry) ? entry : [entry]) {
    if (spec.kind === 'permanent') return spec;
    first += spec.kind === 'transient' ? spec.times : (spec.times ?? 1);
    if (attempt < first) return spec;
  }
  return undefined;
}

class FaultInjector implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: Context) {}

  async execute(
    input: Parameters<NonNullable<ActivityInboundCallsInterceptor['execute']>>[0],
    next: Parameters<NonNullable<ActivityInboundCallsInterceptor['execute']>>[1],
  ): Promise<unknown> {
    const header = input.headers[FAULT_PLAN_HEADER];
    if (!header) return next(input);
    const plan = defaultPayloadConverter.fromPayload<unknown>(header);
    const { activityType, attempt } = this.ctx.info;
    // The workflow side checks the plan first; this guards workers whose workflows do not.
    const problems = checkFaultPlan(plan);
    if (problems.length) {
      throw ApplicationFailure.create({
        type: INVALID_FAULT_PLAN,
        message: `invalid fault plan for ${activityType}: ${problems.join('; ')}`,
        nonRetryable: true,
      });
    }
    const fault = faultFor(plan as FaultPlan, activityType, attempt);
    if (!fault) return next(input);
    const where = `${activityType} (attempt ${attempt})`;
    this.ctx.log.warn(`[simulated] injecting ${fault.kind} fault into ${where}`);
    switch (fault.kind) {
      case 'transient':
        throw ApplicationFailure.retryable(`[simulated] transient fault before the effect in ${where}`, SimulatedFaultType.transient);
      case 'permanent':
        throw ApplicationFailure.nonRetryable(`[simulated] permanent fault before the effect in ${where}`, SimulatedFaultType.permanent);
      case 'hang':
        // Never reply. The server times the attempt out; the worker then cancels this attempt.
        await this.ctx.cancelled;
        throw new Error('unreachable: ctx.cancelled always rejects');
      case 'hang-after-effect':
        await next(input);
        await this.ctx.cancelled;
        throw new Error('unreachable: ctx.cancelled always rejects');
      case 'lost-ack': {
        await next(input);
        throw ApplicationFailure.retryable(
          `[simulated] the effect of ${where} committed but its reply was lost`,
          SimulatedFaultType.lostAck,
        );
      }
      default:
        // Unreachable for a checked plan; never fall through to a result nobody produced.
        throw ApplicationFailure.nonRetryable(`unknown fault kind in ${where}`, INVALID_FAULT_PLAN);
    }
  }
}

/**
 * The fault-injection activity interceptor. `createWorker` adds it when fault injection is on
 * (`faultInjection: true` or `STEADFAST_FAULT_INJECTION=1`); register it yourself only on a worker
 * built without `createWorker`, whose bundle includes Steadfast's workflow interceptors
 * (`WORKFLOW_INTERCEPTOR_MODULES`). Never on a production worker: it obeys any plan a run carries.
 * A malformed plan fails the activity non-retryably with `InvalidFaultPlan`.
 *
 * @example
 * await Worker.create({ ...options, interceptors: { activity: [faultInjection, attemptReporting] } });
 */
export const faultInjection: ActivityInterceptorsFactory = (ctx) => ({ inbound: new FaultInjector(ctx) });
