/**
 * Small helpers every Temporal test needs: unique ids, and polling with a deadline instead of sleeps.
 */
import { randomUUID } from 'node:crypto';

/**
 * A unique id for a workflow or a task queue, from a readable prefix (business identity first).
 *
 * @example
 * const taskQueue = uniqueId('trips');      // 'trips-1f3a9c0e'
 */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Options of {@link waitUntil}. */
export interface WaitOptions {
  /** Give up after this long (default 30 000 ms). */
  timeoutMs?: number;
  /** Time between checks (default 100 ms). */
  intervalMs?: number;
  /** What is awaited, for the timeout message. */
  what?: string;
}

/**
 * Polls `check` until it returns a truthy value, and returns that value; throws, with the last
 * error `check` threw as the cause, once the deadline passes. Use instead of sleeps.
 *
 * @example
 * const row = await waitUntil(() => store.get('SELECT * FROM bookings WHERE key = ?', [key]), {
 *   what: 'the booking to land',
 * });
 */
export async function waitUntil<T>(check: () => T | Promise<T>, opts: WaitOptions = {}): Promise<NonNullable<T>> {
  const { timeoutMs = 30_000, intervalMs = 100, what = 'condition' } = opts;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
