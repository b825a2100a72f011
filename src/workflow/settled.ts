/**
 * `fn()` as a promise: its value, or its synchronous throw as a rejection, as an async function
 * would give, without an async function's extra promises. Workflow code pays a stack capture in the
 * SDK's promise hook for every promise it creates (docs/PERFORMANCE.md), so Steadfast's per-step
 * code chains one `then` on this instead.
 */
export function settled<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}
