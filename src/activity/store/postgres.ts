import { Pool, type PoolClient } from 'pg';
import { KEYS_ADDED_COLUMNS, KEYS_DDL, KEYS_INDEXES } from './keys';
import { applyOnce, guardOf } from './once';
import { isStoreUnreachable, StoreUnavailableError } from './errors';
import type { EffectStore, OnceOptions, OnceResult, StoreTx } from './types';

/**
 * Every bound on a PostgreSQL session, in milliseconds. Each is shorter than the 10 s
 * start-to-close timeout of a service call, so a stuck store fails the attempt (which Temporal
 * retries, possibly on another worker) before Temporal gives up on it, and a session that a dead
 * or partitioned worker left behind releases its advisory locks within seconds, not hours.
 */
export const POSTGRES_TIMEOUTS = {
  /** Opening a connection (TCP + startup). */
  connectMs: 5_000,
  /** One statement, on the server (`statement_timeout`). */
  statementMs: 8_000,
  /** Waiting for any lock, advisory locks included (`lock_timeout`). */
  lockMs: 5_000,
  /** A transaction left open with no statement running (`idle_in_transaction_session_timeout`). */
  idleInTransactionMs: 8_000,
  /** One query, on the client: bounds a half-open connection that the server can no longer answer. */
  queryMs: 9_000,
  /** TCP keepalive: the first probe after this much idle time, so dead peers are noticed. */
  keepAliveInitialDelayMs: 10_000,
} as const;

/** `?` placeholders → `$1, $2, …` (the store's SQL never contains a literal question mark). */
function toPg(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** PostgreSQL's `lock_not_available`: `lock_timeout` fired. */
const LOCK_NOT_AVAILABLE = '55P03';

function txOf(q: Pick<Pool, 'query'> | PoolClient): StoreTx {
  return {
    run: async (sql, params = []) => ({ changes: (await q.query(toPg(sql), params)).rowCount ?? 0 }),
    all: async <T>(sql: string, params: unknown[] = []) => (await q.query(toPg(sql), params)).rows as T[],
    get: async <T>(sql: string, params: unknown[] = []) => (await q.query(toPg(sql), params)).rows[0] as T | undefined,
  };
}

/**
 * PostgreSQL effect store (pg). `once` takes a transaction-scoped advisory lock on the key before
 * looking it up, so concurrent duplicates queue behind the first and then see its recorded result.
 * Every session is bounded by {@link POSTGRES_TIMEOUTS}. The tables are created on first use, and
 * again after a failure, so a store that is down when it is opened is simply retried.
 */
export class PostgresStore implements EffectStore {
  readonly kind = 'postgres';
  readonly location: string;
  private readonly pool: Pool;
  private readonly direct: StoreTx;
  private ready: Promise<void> | undefined;
  private closing = false;

  constructor(url: string) {
    // Printed by workers and the CLI: never with a password (in the user part or as a parameter).
    this.location = url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@').replace(/([?&]password=)[^&]*/gi, '$1***');
    this.pool = new Pool({
      connectionString: url,
      max: 8,
      connectionTimeoutMillis: POSTGRES_TIMEOUTS.connectMs,
      statement_timeout: POSTGRES_TIMEOUTS.statementMs,
      lock_timeout: POSTGRES_TIMEOUTS.lockMs,
      idle_in_transaction_session_timeout: POSTGRES_TIMEOUTS.idleInTransactionMs,
      query_timeout: POSTGRES_TIMEOUTS.queryMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: POSTGRES_TIMEOUTS.keepAliveInitialDelayMs,
    });
    // An idle connection that the server drops (a restart, a failover, a DROP DATABASE after close)
    // is discarded by the pool, which then emits 'error'; without a listener that crashes the process.
    this.pool.on('error', (err) => {
      if (!this.closing) console.warn(`effect store: an idle PostgreSQL connection failed and was discarded: ${err.message}`);
    });
    this.direct = txOf(this.pool);
  }

  /** Creates the keys table on first use; a failed attempt is forgotten, so the next call tries again. */
  private whenReady(): Promise<void> {
    this.ready ??= this.migrateNow([
      ...KEYS_DDL,
      ...KEYS_ADDED_COLUMNS.map((c) => `ALTER TABLE steadfast_idempotency ADD COLUMN IF NOT EXISTS ${c} TEXT`),
      ...KEYS_INDEXES,
    ]).catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  private async migrateNow(statements: string[]): Promise<void> {
    // One migration at a time across processes: CREATE TABLE IF NOT EXISTS can race on PostgreSQL.
    await this.withClient(async (tx) => {
      await tx.run('SELECT pg_advisory_xact_lock(7231)');
      for (const ddl of statements) await tx.run(ddl);
    });
  }

  private async withClient<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A checked-out client whose connection drops between statements (a server restart, the
    // idle-in-transaction timeout) emits 'error'; unheard, that would crash the process. The
    // transaction fails instead, and the broken client is discarded rather than pooled.
    let broken: Error | undefined;
    const onError = (err: Error) => {
      broken = err;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const value = await fn(txOf(client));
      await client.query('COMMIT');
      return value;
    } catch (err) {
      if (!broken && isStoreUnreachable(err)) broken = err as Error;
      if (!broken) await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.off('error', onError);
      // An error destroys the client instead of returning it to the pool.
      client.release(broken);
    }
  }

  async run(sql: string, params?: unknown[]) {
    await this.whenReady();
    return this.direct.run(sql, params);
  }
  async all<T = Record<string, unknown>>(sql: string, params?: unknown[]) {
    await this.whenReady();
    return this.direct.all<T>(sql, params);
  }
  async get<T = Record<string, unknown>>(sql: string, params?: unknown[]) {
    await this.whenReady();
    return this.direct.get<T>(sql, params);
  }

  async transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    await this.whenReady();
    return this.withClient(fn);
  }

  once<T>(
    key: string,
    request: unknown,
    effect: (tx: StoreTx) => Promise<T>,
    options: OnceOptions = {},
  ): Promise<OnceResult<T>> {
    // Locks in one global order (sorted), so two transactions that lock overlapping keys cannot deadlock.
    const keys = [...new Set([key, ...(options.alsoLock ?? [])])].sort();
    return this.transaction(async (tx) => {
      for (const k of keys) {
        try {
          await tx.run('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [k]);
        } catch (err) {
          if ((err as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw err;
          // Retryable on purpose: the session holding the lock is working on this key, or is dead and
          // will lose the lock to idle_in_transaction_session_timeout or keepalive; the retry then sees
          // the recorded result.
          throw new StoreUnavailableError(
            `effect store: the lock of key "${k}" is held by another session (waited ${POSTGRES_TIMEOUTS.lockMs} ms, lock_timeout); ` +
              'the attempt fails and is retried',
            { cause: err },
          );
        }
      }
      return applyOnce(tx, key, request, effect, { owner: options.owner, guard: guardOf(options), joined: true });
    });
  }

  async migrate(statements: string[]): Promise<void> {
    await this.whenReady();
    await this.migrateNow(statements);
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.ready?.catch(() => undefined);
    await this.pool.end();
  }
}
