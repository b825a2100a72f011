/**
 * bench:local-steps' workflow: three local activities that do nothing but read the clock, in plain
 * Temporal (nothing from Steadfast).
 */
import { proxyLocalActivities } from '@temporalio/workflow';
import type { StepActivities } from '../local-steps';

const { stamp } = proxyLocalActivities<StepActivities>({ startToCloseTimeout: '10 seconds' });

/** Runs `stamp` three times in sequence and returns when each one ran (epoch ms, fractional). */
export async function threeLocalSteps(): Promise<number[]> {
  const at: number[] = [];
  for (let i = 0; i < 3; i++) at.push(await stamp());
  return at;
}
