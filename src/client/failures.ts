/**
 * Failure cause chains, for `result`, `start --wait` and `faults`: a failure and its causes, outer
 * first, each with its class, its stable `type` (for ApplicationFailures) and its message.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  DefaultFailureConverter,
  defaultPayloadConverter,
  RetryState,
  TimeoutFailure,
} from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

/** One link of a cause chain. */
export interface CauseLink {
  /** The failure class: `ActivityFailure`, `ApplicationFailure`, `TimeoutFailure`, … */
  kind: string;
  /** An ApplicationFailure's type, an activity's type, or a timeout's type. */
  type?: string;
  /** The failure's message; for an activity or child workflow failure, which one failed (and its retry state). */
  message: string;
}

const converter = new DefaultFailureConverter();

function link(err: Error): CauseLink {
  if (err instanceof ActivityFailure) {
    const retry = err.retryState !== undefined && err.retryState !== null ? `, retry state ${RetryState[err.retryState] ?? err.retryState}` : '';
    return { kind: err.name, type: err.activityType, message: `activity ${err.activityType} failed${retry}` };
  }
  if (err instanceof ChildWorkflowFailure) {
    return { kind: err.name, type: err.workflowType, message: `child workflow ${err.workflowType} failed` };
  }
  if (err instanceof ApplicationFailure) return { kind: err.name, type: err.type ?? undefined, message: err.message };
  if (err instanceof TimeoutFailure) return { kind: err.name, type: err.timeoutType ? String(err.timeoutType) : undefined, message: err.message || 'timed out' };
  return { kind: err.name, message: err.message };
}

/**
 * The chain of an error and its `cause`s, outer first (at most 20 links). A value that is not an
 * `Error` gives one link holding its `typeof` and text; `undefined` gives an empty chain.
 *
 * @example
 * try {
 *   await handle.result();
 * } catch (err) {
 *   const chain = causeChain(err); // WorkflowFailedError ⟵ ActivityFailure ⟵ ApplicationFailure
 *   console.error(formatChain(chain));
 *   if (chain.some((l) => l.type === 'InsufficientFunds')) tellTheCustomer();
 * }
 */
export function causeChain(err: unknown): CauseLink[] {
  const links: CauseLink[] = [];
  for (let e: unknown = err; e instanceof Error && links.length < 20; e = e.cause) links.push(link(e));
  if (links.length === 0 && err !== undefined) links.push({ kind: typeof err, message: String(err) });
  return links;
}

/** The chain of a failure as recorded in a history event. */
export function protoCauseChain(failure: temporal.api.failure.v1.IFailure | null | undefined): CauseLink[] {
  return failure ? causeChain(converter.failureToError(failure, defaultPayloadConverter)) : [];
}

/** `a ⟵ b ⟵ c` on one line: each failure, then what caused it. */
export function formatChain(links: CauseLink[]): string {
  return links.map((l) => (l.kind === 'ApplicationFailure' && l.type ? `${l.message} [${l.type}]` : l.message)).join(' ⟵ ');
}
