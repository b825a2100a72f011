/**
 * `steadfast/schemas`: zod schemas for workflow and activity inputs, safe in Temporal's workflow
 * sandbox. They are apart from `steadfast/workflow` because the sandbox evaluates every module a run
 * imports, once per run: workflow code that validates nothing with zod should not pay for it.
 *
 * @example
 * import { z } from 'zod';
 * import { parseOrReject } from 'steadfast/workflow';
 * import { duration, nonEmpty } from 'steadfast/schemas';
 *
 * const admitInput = z.object({ patientId: nonEmpty, followUpAfter: duration }).strict();
 *
 * export async function admit(input: z.input<typeof admitInput>): Promise<void> {
 *   const { patientId, followUpAfter } = parseOrReject('admit input', admitInput, input);
 *   …
 * }
 *
 * @packageDocumentation
 */
export { duration, nonEmpty, faultPlanSchema } from '../common/schemas';
export type { FaultPlan, FaultSpec, FaultKind } from '../common/fault-plan';
