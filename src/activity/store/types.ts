/**
 * The effect store: where the simulated downstream services keep their state, and where each
 * effect is recorded together with its idempotency key, in one transaction.
 *
 * SQL uses `?` placeholders on both back ends; the PostgreSQL store rewrites them to `$n`.
 * Write portable SQL: TEXT, INTEGER/BIGINT, no AUTOINCREMENT, timestamps as ISO strings.
 */

/** Statements inside one transaction. */
export interface StoreTx {
  run(sql: string, params?: unknown[]): Promise<{ changes: number }>;
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  get<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T | undefined>;
}

/** What {@link EffectStore.once} returns. */
export interface OnceResult<T> {
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
  workflowId: string;
  runId: string;
}

export interface EffectStore extends StoreTx {
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
  close(): Promise<void>;
}

/** Thrown when a key is reused with different request fields. Not retryable: retrying cannot fix it. */
export class IdempotencyKeyReusedError extends Error {
  override readonly name = 'IdempotencyKeyReusedError';
  constructor(
    readonly key: string,
    readonly recordedHash: string,
    readonly requestHash: string,
  ) {
    super(
      `idempotency key "${key}" was already used with different request fields ` +
        `(recorded ${recordedHash.slice(0, 12)}, now ${requestHash.slice(0, 12)}); ` +
        'use a new key for a different request',
    );
  }
}
