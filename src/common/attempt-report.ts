/**
 * Attempt reports: how a workflow learns that an activity needed retries. Temporal retries an
 * activity on the server and hands the workflow only its final result, so the attempt count never
 * reaches workflow code. Steadfast's activity interceptor (`activities/attempt-report.ts`) wraps
 * the result of an attempt after the first in an envelope; the workflow interceptor unwraps it
 * before the workflow sees it and records the retries (`workflows/fault-record.ts`).
 *
 * The envelope is only used when the activity's headers say the workflow side understands it
 * ({@link ATTEMPT_REPORT_HEADER}), so a workflow without the interceptor never receives one.
 * It shows in the history (and the Web UI) as `{ "$steadfastAttempt": 3, "value": … }`.
 */

/** Activity header set by the workflow interceptor: "wrap my result if you needed retries". */
export const ATTEMPT_REPORT_HEADER = 'steadfast-attempt-report';

/** Envelope key holding the attempt that succeeded. */
export const ATTEMPT_REPORT_KEY = '$steadfastAttempt';

/** The result of an activity that succeeded on attempt `$steadfastAttempt` (> 1). */
export interface AttemptReport {
  [ATTEMPT_REPORT_KEY]: number;
  value?: unknown;
}

/** True for an {@link AttemptReport} envelope. */
export function isAttemptReport(value: unknown): value is AttemptReport {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>)[ATTEMPT_REPORT_KEY] === 'number'
  );
}
