/**
 * The effect store: where the simulated downstream services keep their state, and where each
 * effect is recorded together with its idempotency key, in one transaction.
 *
 * SQL uses `?` placeholders on both back ends; the PostgreSQL store rewrites them to `$n`.
 * Write portable SQL: TEXT, INTEGER/BIGINT, no AUTOINCREMENT, timestamps as ISO strings.
 */

/** Statements inside one transaction. */
export interface StoreTx {
  /**
   * Runs one statement (INSERT, UPDATE, DELETE, DDL) with `?` placeholders bound to `params` in
   * order, and resolves with the number of rows it changed. A failing statement rejects with the
   * driver's error; inside {@link EffectStore.transaction} or {@link EffectStore.once} that rolls
   * the whole transaction back.
   */
  run(sql: string, params?: unknown[]): Promise<{ changes: number }>;
  /** Runs a query and resolves with every row, as objects keyed by column name (empty when none match). */
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a query and resolves with its first row, or `undefined` when no row matches. */
  get<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T | undefined>;
}

/** What {@link EffectStore.once} returns. */
export interface OnceResult<T> {
  /**
   * What the effect returned. When {@link OnceResult.replayed}, the result recorded when the key was
   * first applied, read back from JSON: return plain JSON values from an effect (a `Date` comes back
   * as a string, `undefined` as `null`).
   */
  value: T;
  /** True when the key had been applied before and `value` is the recorded result. */
  replayed: boolean;
}

/** Options of {@link EffectStore.once}. */
export interface OnceOptions {
  /**
   * Further keys to serialize with, besides `key`: a compensation passes the key of the step it
   * undoes, so that it cannot interleave with a late attempt of that step (on PostgreSQL both take
   * the same advisory locks, in sorted order; SQLite serializes every writer anyway).
   */
  alsoLock?: string[];
  /** The run that applies the key, recorded with it (for `steadfast store prune`). */
  owner?: KeyOwner;
}

/** The workflow run an effect was applied for. */
export interface KeyOwner {
  /** The workflow id of the run (what `steadfast store prune` asks Temporal about). */
  workflowId: string;
  /** The run id of the attempt's run (not the chain's first run id). */
  runId: string;
}

/**
 * The effect store that {@link openStore} opens: where activities apply their effects exactly once
 * per idempotency key. It creates its own tables (idempotency keys, compensation tombstones) when it
 * is opened (SQLite) or first used (PostgreSQL); an application creates its own with
 * {@link EffectStore.migrate}. Its `run`, `all` and `get` each run as their own statement, outside
 * any transaction.
 *
 * Failures: a store that cannot be reached or is busy past its bounds rejects with a
 * {@link StoreUnavailableError} or a driver error that {@link isStoreUnreachable} recognises, both
 * worth retrying, so an activity should let them propagate and Temporal retries the attempt.
 *
 * @example
 * const store = openStore('sqlite:.steadfast/effects.db');
 * await store.migrate(['CREATE TABLE IF NOT EXISTS bookings (key TEXT PRIMARY KEY, flight TEXT NOT NULL)']);
 * const { value, replayed } = await store.once('trip-1/book-flight', { flight: 'LH123' }, async (tx) => {
 *   await tx.run('INSERT INTO bookings (key, flight) VALUES (?, ?)', ['trip-1/book-flight', 'LH123']);
 *   return { bookingId: 'trip-1/book-flight' };
 * });
 * await store.close();
 */
export interface EffectStore extends StoreTx {
  /** Which back end {@link openStore} chose from the URL: `sqlite` or `postgres`. */
  readonly kind: 'sqlite' | 'postgres';
  /** A printable location (file path or URL without password). */
  readonly location: string;
  /**
   * Applies `effect` at most once per `key` and records its result in the same transaction.
   * A repeat with the same key and the same `request` returns the recorded result without running
   * `effect`; a repeat with a different `request` throws {@link IdempotencyKeyReusedError}.
   * Concurrent calls with one key are serialized, so they still yield one effect.
   */
  once<T>(key: string, request: unknown, effect: (tx: StoreTx) => Promise<T>, options?: OnceOptions): Promise<OnceResult<T>>;
  /** Runs `fn` in one transaction (serialized against other transactions of this store). */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /** Creates the tables a service needs; statements must be idempotent (`IF NOT EXISTS`). */
  migrate(statements: string[]): Promise<void>;
  /**
   * Waits for transactions in flight, then closes the database (SQLite) or ends the connection
   * pool (PostgreSQL). The store cannot be used afterwards.
   */
  close(): Promise<void>;
}

/** Thrown when a key is reused with different request fields. Not retryable: retrying cannot fix it. */
export class IdempotencyKeyReusedError extends Error {
  /** Always `IdempotencyKeyReusedError`. */
  override readonly name = 'IdempotencyKeyReusedError';
  constructor(
    /** The idempotency key that was reused. */
    readonly key: string,
    /** {@link requestHash} of the request first applied with the key (hex SHA-256 of its canonical JSON). */
    readonly recordedHash: string,
    /** {@link requestHash} of the request that was refused. */
    readonly requestHash: string,
  ) {
    super(
      `idempotency key "${key}" was already used with different request fields ` +
        `(recorded ${recordedHash.slice(0, 12)}, now ${requestHash.slice(0, 12)}); ` +
        'use a new key for a different request',
    );
  }
}
