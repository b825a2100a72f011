/**
 * The zod schema of a fault plan ({@link FaultPlan}). Apart from `fault-plan.ts` so that workflow
 * code loads zod only when a run carries a plan: `checkFaultPlan` requires this module on first use.
 */
import { z } from './zod';
import { FAULT_KINDS, type FaultPlan } from './fault-plan';

const times = z.number().int().positive();

export const faultSpec = z.discriminatedUnion(
  'kind',
  [
    z
      .object({
        kind: z.literal('transient'),
        times: z
          .number({ error: (i) => (i.input === undefined ? 'a transient fault needs times: how many attempts fail, from the first' : undefined) })
          .int()
          .positive()
          .meta({ description: 'attempts that fail, from the first' }),
      })
      .strict(),
    z.object({ kind: z.literal('permanent') }).strict(),
    z.object({ kind: z.literal('hang'), times: times.optional() }).strict(),
    z.object({ kind: z.literal('lost-ack'), times: times.optional() }).strict(),
    z.object({ kind: z.literal('hang-after-effect'), times: times.optional() }).strict(),
  ],
  { error: `expected an object whose kind is one of: ${FAULT_KINDS.join(', ')}` },
);

export const faultSequence = z.array(faultSpec).min(1, 'expected at least one fault');

/**
 * The schema of a {@link FaultPlan}: activity type name → a fault, or a non-empty sequence of
 * faults. Strict: an unknown kind, a `transient` fault without `times` or an unknown key is an error.
 */
export const faultPlanSchema: z.ZodType<FaultPlan> = z.record(
  z.string().min(1, 'expected an activity name'),
  z.union([faultSpec, faultSequence]),
);
