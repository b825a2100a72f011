/**
 * Waiting for an effect store that may be down when a worker starts: the worker retries with a
 * clear log line and starts polling only once the store answers, instead of failing with an
 * unhandled rejection or polling tasks that can only fail.
 */
import { isStoreUnreachable } from './errors';

/** How {@link untilStoreReady} retries. */
export interface StoreReadyOptions {
  /** The store's printable location, for the log line. */
  location: string;
  /** Stops waiting (a shutdown signal): the call then resolves false. */
  signal?: AbortSignal;
  /** Where the log lines go; default `console.warn`. */
  log?: (line: string) => void;
  /** First pause between tries, in ms; doubles up to {@link StoreReadyOptions.maxDelayMs}. Default 500. */
  initialDelayMs?: number;
  /** Longest pause between tries, in ms. Default 10 000. */
  maxDelayMs?: number;
}

/**
 * Calls `prepare` (open, migrate) until it succeeds. While the store is unreachable (refused,
 * reset, timed out, starting up), logs `effect store <location> is unreachable (…); retrying in N ms`
 * and tries again with backoff; any other error is thrown at once (a bad URL, bad credentials,
 * a bug). Resolves true once prepared, false when `signal` aborted the wait.
 */
export async function untilStoreReady(prepare: () => Promise<void>, options: StoreReadyOptions): Promise<boolean> {
  const log = options.log ?? ((line: string) => console.warn(line));
  let delay = options.initialDelayMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) return false;
    try {
      await prepare();
      if (attempt > 1) log(`effect store ${options.location} is reachable again (after ${attempt} attempts)`);
      return true;
    } catch (err) {
      if (!isStoreUnreachable(err)) throw err;
      log(
        `effect store ${options.location} is unreachable (${(err as Error).message || String(err)}); ` +
          `retrying in ${delay} ms (attempt ${attempt}); the worker polls once it answers`,
      );
    }
    const aborted = await new Promise<boolean>((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        options.signal?.removeEventListener('abort', onAbort);
        resolve(false);
      }, delay);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    if (aborted) return false;
    delay = Math.min(delay * 2, options.maxDelayMs ?? 10_000);
  }
}
