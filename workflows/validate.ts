/**
 * Validation with zod, shared by workflows (their inputs, signals and updates, checked before any
 * step runs, so bad input leaves no partial effect), activities (their requests, checked before the
 * store is touched) and the CLI (which checks with the same schemas before it starts a run). Bad
 * input fails with a non-retryable `InvalidRequest` whose message names each bad field and what was
 * expected. The schemas here are plain zod, so `z.toJSONSchema` describes them for other languages.
 */
import { ApplicationFailure, type Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { z } from 'zod';
import { RejectionType } from './failure-types';

// The workflow sandbox must not generate code (zod's JIT compiles parsers with `new Function`);
// the interpreter gives the same answers, so activities lose nothing but a little speed.
z.config({ jitless: true });

/** The problems of `value` against `schema`, one line each (`field.path: message`); empty when valid. */
export function schemaProblems(schema: z.ZodType, value: unknown): string[] {
  const parsed = schema.safeParse(value);
  if (parsed.success) return [];
  return parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(value)'}: ${i.message}`);
}

/**
 * Parses `value` with `schema` or throws a non-retryable `InvalidRequest` `ApplicationFailure`.
 * @param what names the request in the message, e.g. `"chargePayment request"`.
 */
export function parseOrReject<S extends z.ZodType>(what: string, schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(value)'}: ${i.message}`);
  throw ApplicationFailure.create({
    type: RejectionType.invalidRequest,
    message: `invalid ${what}: ${problems.join('; ')}`,
    nonRetryable: true,
    details: [{ problems }],
  });
}

function isDurationString(value: string): boolean {
  try {
    return msToNumber(value as Duration) > 0;
  } catch {
    return false;
  }
}

const DURATION_HELP = 'expected a positive duration such as "14 days", "90 seconds", "2h", or a number of milliseconds';

/**
 * A positive duration: an ms-style string (`"14 days"`, `"90s"`, `"2h"`) or whole milliseconds,
 * as Temporal's `Duration` takes it. Timers given anything else would fail the workflow task.
 */
export const duration = z
  .union([
    z.string().refine(isDurationString, { error: DURATION_HELP }),
    z.number().int(DURATION_HELP).positive(DURATION_HELP),
  ], { error: DURATION_HELP })
  .meta({ description: 'an ms-style duration string ("14 days", "90s", "2h") or a number of milliseconds' }) as unknown as z.ZodType<Duration>;

/** A non-empty string (after trimming). */
export const nonEmpty = z.string().trim().min(1, { message: 'expected a non-empty string' });
