/**
 * Sagas: a business transaction made of steps that each commit on their own, undone by
 * compensations when the whole cannot complete.
 *
 *   register undo 1 ─► step 1 ─► register undo 2 ─► step 2 ─► register undo 3 ─► step 3 ✗
 *                                                                                    │ fails, times out
 *                                                                                    │ or is cancelled
 *   undo 1 ◄──────────────────── undo 2 ◄──────────────────────── undo 3 ◄───────────┘
 *   (reverse order by default; all at once with `order: 'parallel'`)
 *
 * The semantics, and why:
 * - A compensation is registered *before* its step runs. A step that failed or timed out may still
 *   have taken effect (its reply was lost, it committed just before the timeout), so it is
 *   compensated too. Compensations must therefore tolerate "the step never happened": the simulated
 *   services record a no-op and refuse the step if it lands later.
 * - Compensations are activities with their own retry policy (`compensationCall` by default), run
 *   in a non-cancellable scope, so cancelling the run still compensates it.
 * - A run whose compensations ran is marked in its search attributes (`SteadfastCompensated`, and
 *   one fault of kind `compensation-failed` per compensation that failed), so `steadfast faults`
 *   finds it with one visibility query.
 * - When every compensation succeeds, the original failure is rethrown: the run fails with it, or
 *   ends as cancelled when it was cancelled.
 * - When a compensation still fails after its retries, the other compensations still run, and the
 *   run fails with a {@link SAGA_COMPENSATION_FAILED} `ApplicationFailure`: its cause is the original
 *   failure, its details ({@link SagaCompensationFailedDetails}) list every compensation and how it
 *   ended. Nothing is swallowed. (A cancelled run then ends as failed, not cancelled: it could not
 *   be cleanly undone.)
 * - Each step and each compensation runs in the step's async context (`step-context.ts`): every
 *   line logged through the SDK's replay-safe `log` inside it carries `step`, next to the workflow
 *   and run ids, and a traced worker names the step on each activity span.
 * - Only Temporal failures (activity failures, cancellation, `ApplicationFailure`s) start
 *   compensation. Any other error is a bug in workflow code: Temporal retries the workflow task
 *   until a fixed deployment replays it, and compensating would undo work that could still complete.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  log,
  patched,
  proxyActivities,
  TemporalFailure,
  type ActivityOptions,
} from '@temporalio/workflow';
import { FailureType, SAGA_COMPENSATION_FAILED } from '../common/failure-types';
import { recordCompensation } from './fault-record';
import { compensationCall } from './options';
import { settled } from './settled';
import { inStep } from './step-context';

export { SAGA_COMPENSATION_FAILED };

/**
 * The patch that made the saga mark compensated runs in their search attributes. Permanent: see
 * docs/REPLAY.md before retiring it with `deprecatePatch`.
 */
export const SAGA_COMPENSATION_ATTRIBUTES_PATCH = 'steadfast-saga-compensation-attributes';

/**
 * The patch that stopped the saga from compensating a step refused with `IdempotencyKeyReused`.
 * Runs that compensated such a step before it replay as they ran. Permanent, like the one above.
 */
export const SAGA_SKIP_REUSED_KEY_PATCH = 'steadfast-saga-skip-reused-key';

/**
 * A compensation: one activity of the activity interface `A` and the arguments to call it with.
 * Typed, so only real activities with matching arguments can be registered.
 */
export type Compensation<A> = {
  [K in keyof A & string]: A[K] extends (...args: infer P) => Promise<unknown> ? { activity: K; args: P } : never;
}[keyof A & string];

/** How compensations run. */
export interface SagaOptions {
  /** `reverse` (default): one at a time, the last registered first. `parallel`: all at once. */
  order?: 'reverse' | 'parallel';
  /** Activity options of the compensations; default {@link compensationCall}. */
  activityOptions?: ActivityOptions;
}

/** How one compensation ended. */
export interface CompensationRecord {
  /** The step it undoes. */
  step: string;
  /** Its activity type. */
  activity: string;
  /** `succeeded`: it completed (within its retries); `failed`: it still failed after them. */
  status: 'succeeded' | 'failed';
  /** For a failed compensation: the failure of its last attempt. */
  failure?: FailureSummary;
}

/** A failure reduced to what a report needs. */
export interface FailureSummary {
  /** The failure's message (of the innermost failure, for an activity failure). */
  message: string;
  /** `ApplicationFailure` type, or the failure class (`TimeoutFailure`, `CancelledFailure`, …). */
  type?: string;
}

/** Details of a {@link SAGA_COMPENSATION_FAILED} failure (its `details[0]`). */
export interface SagaCompensationFailedDetails {
  /** The failure that started compensation. */
  original: FailureSummary & { cancelled: boolean };
  /** How the compensations ran ({@link SagaOptions.order}). */
  order: 'reverse' | 'parallel';
  /** Every compensation that ran, in the order it was started. */
  compensations: CompensationRecord[];
}

interface Registered {
  step: string;
  activity: string;
  args: unknown[];
}

/**
 * True when a step was refused because its key was already used with other request fields: the
 * key's effect belongs to another request (another run, or another use of a business scope), and
 * this step never applied anything.
 */
function isKeyReused(err: unknown): boolean {
  const inner = err instanceof ActivityFailure ? err.cause : err;
  return inner instanceof ApplicationFailure && inner.type === FailureType.idempotencyKeyReused;
}

/** The innermost failure of an activity failure (that is where the message and type are). */
function summarize(err: unknown): FailureSummary {
  const inner = err instanceof ActivityFailure && err.cause ? err.cause : err;
  if (inner instanceof ApplicationFailure) return { message: inner.message, type: inner.type ?? undefined };
  if (inner instanceof Error) return { message: inner.message, type: inner.name };
  return { message: String(inner) };
}

/**
 * A saga for one workflow run. Register each step's compensation with {@link step} as you run the
 * step, and wrap the steps in {@link run}.
 *
 * @typeParam A - the activity interface the compensations come from (`Activities`).
 *
 * @example
 * const { reserveInventory, chargePayment } = proxyActivities<Activities>(serviceCall);
 * const saga = new Saga<Activities>();
 * return saga.run(async () => {
 *   const { reservationId } = await saga.step('reserve', () => reserveInventory({ key: stepKey('reserve'), orderId, items }), {
 *     activity: 'releaseInventory',
 *     args: [{ key: stepKey('release'), reservationKey: stepKey('reserve') }],
 *   });
 *   await saga.step('charge', () => chargePayment({ key: stepKey('charge'), ... }), {
 *     activity: 'refundPayment',
 *     args: [{ key: stepKey('refund'), paymentKey: stepKey('charge') }],
 *   });
 *   return { reservationId };
 * });
 */
export class Saga<A extends object> {
  private readonly registered: Registered[] = [];
  /** The first step whose action failed, for the log line that starts compensation. */
  private failedStep?: string;
  private readonly order: 'reverse' | 'parallel';
  private readonly activities: Record<string, (...args: unknown[]) => Promise<unknown>>;

  constructor(options: SagaOptions = {}) {
    this.order = options.order ?? 'reverse';
    this.activities = proxyActivities<Record<string, (...args: unknown[]) => Promise<unknown>>>(
      options.activityOptions ?? compensationCall,
    );
  }

  /**
   * Registers `compensation` (if any) and then runs `action`. Registration comes first on purpose:
   * if `action` fails, times out or is cancelled, its effect may have landed, so it is undone too.
   * The one exception: a step refused with `IdempotencyKeyReused` never applied anything (its key's
   * effect is another request's), so its compensation is withdrawn: undoing it would undo an
   * effect that this run did not apply.
   */
  step<T>(name: string, action: () => Promise<T>, compensation?: Compensation<A>): Promise<T> {
    const registered = compensation ? this.register(name, compensation) : undefined;
    // One `then` rather than an async function: each promise a run creates costs a stack capture
    // in the SDK's promise hook (docs/PERFORMANCE.md). A synchronous throw still rejects.
    return settled(() => inStep({ step: name, compensating: false }, action)).then(undefined, (err: unknown) =>
      this.stepFailed(name, registered, err),
    );
  }

  private stepFailed(name: string, registered: Registered | undefined, err: unknown): never {
    this.failedStep ??= name;
    // Withdrawing the compensation removes an activity command: runs that compensated a refused
    // step before the patch replay with it.
    if (registered && isKeyReused(err) && patched(SAGA_SKIP_REUSED_KEY_PATCH)) {
      const at = this.registered.indexOf(registered);
      if (at >= 0) this.registered.splice(at, 1);
      log.warn(`saga: step ${name} was refused (its key belongs to another request); ${registered.activity} will not undo it`, {
        step: name,
      });
    }
    throw err;
  }

  /** Registers a compensation for a step run some other way (for example, several steps in parallel). */
  addCompensation(step: string, compensation: Compensation<A>): void {
    this.register(step, compensation);
  }

  private register(step: string, compensation: Compensation<A>): Registered {
    const { activity, args } = compensation as { activity: string; args: unknown[] };
    const registered = { step, activity, args };
    this.registered.push(registered);
    return registered;
  }

  /** The compensations registered so far and not yet run, in registration order. */
  get pending(): ReadonlyArray<{ step: string; activity: string }> {
    return this.registered.map(({ step, activity }) => ({ step, activity }));
  }

  /**
   * Runs every registered compensation once (reverse order or all at once), in a non-cancellable
   * scope, and reports how each ended. Never throws for a failed compensation: the caller decides
   * ({@link run} turns failures into a {@link SAGA_COMPENSATION_FAILED} failure). When any ran, it
   * marks the run as compensated (`recordCompensation`), so
   * `steadfast faults` finds it.
   */
  async compensate(): Promise<CompensationRecord[]> {
    const todo = this.registered.splice(0).reverse();
    if (todo.length) {
      log.info(`saga: compensating ${todo.map((c) => c.step).join(', ')} (${this.order} order)`, {
        step: this.failedStep ?? todo[0].step,
        compensations: todo.map((c) => c.activity),
      });
    }
    const records = await CancellationScope.nonCancellable(async () => {
      if (this.order === 'parallel') return Promise.all(todo.map((c) => this.runOne(c)));
      const done: CompensationRecord[] = [];
      for (const c of todo) done.push(await this.runOne(c));
      return done;
    });
    // Marks the run for `steadfast faults` (SteadfastCompensated, kinds `compensated` and
    // `compensation-failed`). The upsert is a new command: runs that compensated before it existed
    // have no marker for the patch, so they replay without it.
    if (records.length && patched(SAGA_COMPENSATION_ATTRIBUTES_PATCH)) {
      recordCompensation({ failed: records.filter((r) => r.status === 'failed').length });
    }
    return records;
  }

  /**
   * Runs `body`. On a Temporal failure or cancellation, compensates and rethrows the original
   * failure; if a compensation fails, throws {@link SAGA_COMPENSATION_FAILED} caused by the original.
   */
  run<T>(body: () => Promise<T>): Promise<T> {
    // Like `step`: one `then`, and a synchronous throw from `body` is handled as a rejection.
    return settled(body).then(undefined, (err: unknown) => this.undo(err));
  }

  /** Compensates after `err` and rethrows it, or throws {@link SAGA_COMPENSATION_FAILED}. */
  private async undo(err: unknown): Promise<never> {
    if (!(err instanceof TemporalFailure)) throw err;
    const records = await this.compensate();
    const failed = records.filter((r) => r.status === 'failed');
    if (failed.length === 0) throw err;
    const original = { ...summarize(err), cancelled: isCancellation(err) };
    const details: SagaCompensationFailedDetails = { original, order: this.order, compensations: records };
    const message =
      `compensation failed: ${failed.map((r) => `${r.activity} (undoing ${r.step}): ${r.failure?.message}`).join('; ')}` +
      ` — after the original failure: ${original.message}`;
    log.error(message, { step: failed[0].step, sagaCompensations: records });
    throw ApplicationFailure.create({ type: SAGA_COMPENSATION_FAILED, message, nonRetryable: true, cause: err, details: [details] });
  }

  private runOne(c: Registered): Promise<CompensationRecord> {
    return inStep({ step: c.step, compensating: true }, async () => {
      try {
        await this.activities[c.activity](...c.args);
        log.info(`saga: ${c.activity} undid step ${c.step}`, { step: c.step });
        return { step: c.step, activity: c.activity, status: 'succeeded' };
      } catch (err) {
        const failure = summarize(err);
        log.error(`saga: ${c.activity} could not undo step ${c.step}: ${failure.message}`, { step: c.step });
        return { step: c.step, activity: c.activity, status: 'failed', failure };
      }
    });
  }
}
