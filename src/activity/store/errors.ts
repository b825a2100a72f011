/**
 * Store failures that are worth retrying: the store is unreachable, or busy (a lock held by another
 * session or process). Thrown as plain errors, so Temporal retries the activity attempt.
 */
export class StoreUnavailableError extends Error {
  /** Always `StoreUnavailableError`. */
  override readonly name = 'StoreUnavailableError';
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  // PostgreSQL: cannot_connect_now (starting up or shutting down), admin_shutdown, crash_shutdown,
  // too_many_connections.
  '57P03',
  '57P01',
  '57P02',
  '53300',
]);

/**
 * True when `err` says the store cannot be reached right now (refused, reset, timed out, starting up
 * or shutting down), as opposed to a bug or a bad configuration that retrying cannot fix.
 */
export function isStoreUnreachable(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
    if (e instanceof AggregateError && e.errors.some(isStoreUnreachable)) return true;
    const message = e instanceof Error ? e.message : '';
    if (/Connection terminated|timeout expired|connect ECONNREFUSED|Query read timeout/i.test(message)) return true;
    if (e instanceof StoreUnavailableError) return true;
  }
  return false;
}
