/**
 * Schemas shared by the workflow types' input schemas, and the fault plan's.
 */
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { z } from 'zod';
import type { FaultPlan } from './fault-plan';

function isDuration(value: unknown): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0;
  if (typeof value !== 'string') return false;
  try {
    return msToNumber(value as Duration) > 0;
  } catch {
    return false;
  }
}

/** A positive duration: an ms-style string (`"14 days"`, `"90s"`, `"2h"`) or milliseconds. */
export const duration = z.custom<Duration>(isDuration, {
  message: 'expected a positive duration such as "14 days", "90 seconds", "2h", or a number of milliseconds',
});

/** A non-empty string (after trimming). */
export const nonEmpty = z.string().trim().min(1, { message: 'expected a non-empty string' });

const times = z.number().int().positive();

const faultSpec = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('transient'), times }).strict(),
  z.object({ kind: z.literal('permanent') }).strict(),
  z.object({ kind: z.literal('hang'), times: times.optional() }).strict(),
  z.object({ kind: z.literal('lost-ack'), times: times.optional() }).strict(),
  z.object({ kind: z.literal('hang-after-effect'), times: times.optional() }).strict(),
]);

/**
 * A fault plan (`workflows/fault-plan.ts`): activity type name → how it misbehaves, or a sequence
 * of such faults consumed attempt by attempt.
 */
export const faultPlanSchema: z.ZodType<FaultPlan> = z.record(nonEmpty, z.union([faultSpec, z.array(faultSpec).min(1)]));
