/**
 * Schemas shared by workflow types' input schemas (the reference application's and users' own),
 * and the fault plan's. Plain zod, so `z.toJSONSchema` describes them for other languages.
 */
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { z } from './zod';

export { faultPlanSchema } from './fault-plan-schema';

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
