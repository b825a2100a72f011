/**
 * Signal and update handlers that check their argument with a zod schema before they touch the
 * run's state, so a message from any client (another language, the `temporal` CLI, the Web UI) is
 * held to the same contract as Steadfast's own CLI.
 *
 * - An update whose argument does not match is rejected by its validator: the caller gets an
 *   `InvalidRequest` failure naming each field, and nothing is written to the history.
 * - A signal cannot be refused (it is already in the history when the workflow sees it), so one whose
 *   argument does not match is ignored with a warning in the worker's log. Throwing instead would
 *   fail the workflow task on every retry and leave the run stuck.
 */
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import { log, setHandler } from '@temporalio/workflow';
import type { z } from 'zod';
import { parseOrReject, schemaProblems } from '../common/validate';

/**
 * Sets `signal`'s handler; `handler` runs only with an argument that matches `schema` (parsed, so
 * trimmed strings and defaults apply).
 *
 * @example
 * setStrictSignalHandler(signOffSignal, z.object({ clinician: nonEmpty }).strict(), ({ clinician }) => {
 *   state.signedOffBy ??= clinician;
 * });
 */
export function setStrictSignalHandler<S extends z.ZodType>(
  signal: SignalDefinition<[z.input<S>]> | SignalDefinition<[z.output<S>]>,
  schema: S,
  handler: (arg: z.output<S>) => void | Promise<void>,
): void {
  setHandler(signal as SignalDefinition<[unknown]>, (arg: unknown) => {
    const problems = schemaProblems(schema, arg);
    if (problems.length) {
      log.warn(`ignored signal ${signal.name}: invalid argument: ${problems.join('; ')}`, { problems });
      return;
    }
    return handler(schema.parse(arg));
  });
}

/**
 * Sets `update`'s handler with a validator that rejects an argument not matching `schema` (a
 * non-retryable `InvalidRequest`); `handler` gets the parsed argument.
 */
export function setStrictUpdateHandler<Ret, S extends z.ZodType>(
  update: UpdateDefinition<Ret, [z.input<S>]> | UpdateDefinition<Ret, [z.output<S>]>,
  schema: S,
  handler: (arg: z.output<S>) => Ret | Promise<Ret>,
): void {
  const what = `${update.name} update argument`;
  setHandler(update as UpdateDefinition<Ret, [unknown]>, (arg: unknown) => handler(parseOrReject(what, schema, arg)), {
    validator: (arg: unknown) => {
      parseOrReject(what, schema, arg);
    },
  });
}
