/**
 * Validation with zod, shared by workflows (their inputs, signals and updates, checked before any
 * step runs, so bad input leaves no partial effect), activities (their requests, checked before the
 * store is touched) and the CLI (which checks with the same schemas before it starts a run). Bad
 * input fails with a non-retryable `InvalidRequest` whose message names each bad field and what was
 * expected.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import { FailureType } from './failure-types';

/**
 * Parses with zod's interpreter (see `zod.ts`). zod is loaded here only when a value is checked:
 * the workflow sandbox evaluates every module a run imports, once per run, so a static import would
 * make every run pay for zod's hundred modules, even runs that never validate. A caller holding a
 * schema has loaded zod already, so this costs nothing more.
 */
function configureZod(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports, no-restricted-globals -- lazy on purpose, see above
  require('./zod');
}

/** The problems of `value` against `schema`, one line each (`field.path: message`); empty when valid. */
export function schemaProblems(schema: z.ZodType, value: unknown): string[] {
  configureZod();
  const parsed = schema.safeParse(value);
  if (parsed.success) return [];
  return parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(value)'}: ${i.message}`);
}

/**
 * Parses `value` with `schema` and returns the parsed value (defaults applied, transforms run), or
 * throws a non-retryable `InvalidRequest` `ApplicationFailure` whose message names every bad field
 * (`invalid <what>: field.path: message; …`) and whose details are `[{ problems }]`. In a workflow it
 * fails the run at once; in an activity it fails the attempt without a retry. Safe in both.
 *
 * @param what - names the request in the message, e.g. `"chargePayment request"`.
 *
 * @example
 * const bookTripInput = z.object({ tripId: nonEmpty, flight: nonEmpty, hotel: nonEmpty, holdFor: duration }).strict();
 *
 * export async function bookTrip(input: z.input<typeof bookTripInput>): Promise<string> {
 *   const trip = parseOrReject('bookTrip input', bookTripInput, input); // before any step runs
 *   …
 * }
 */
export function parseOrReject<S extends z.ZodType>(what: string, schema: S, value: unknown): z.infer<S> {
  configureZod();
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(value)'}: ${i.message}`);
  throw ApplicationFailure.create({
    type: FailureType.invalidRequest,
    message: `invalid ${what}: ${problems.join('; ')}`,
    nonRetryable: true,
    details: [{ problems }],
  });
}
