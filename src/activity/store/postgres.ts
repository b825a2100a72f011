import { Pool, type PoolClient } from 'pg';
import { KEYS_DDL } from './keys';
import { applyOnce } from './once';
import type { EffectStore, OnceOptions, OnceResult, StoreTx } from './types';

/** `?` placeholders → `$1, $2, …` (the store's SQL never contains a literal question mark). */
function toPg(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

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
 */
export class PostgresStore implements EffectStore {
  readonly kind = 'postgres';
  readonly location: string;
  private readonly pool: Pool;
  private readonly direct: StoreTx;
  private ready: Promise<void>;
  private closing = false;

  constructor(url: string) {
    this.location = url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
    this.pool = new Pool({ connectionString: url, max: 8 });
    // An idle connection that the server drops (a restart, a failover, a DROP DATABASE after close)
    // is discarded by the pool, which then emits 'error'; without a listener that crashes the process.
    this.pool.on('error', (err) => {
      if (!this.closing) console.warn(`effect store: an idle PostgreSQL connection failed and was discarded: ${err.message}`);
    });
    this.direct = txOf(this.pool);
    this.ready = this.migrateNow(KEYS_DDL);
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
    try {
      await client.query('BEGIN');
      const value = await fn(txOf(client));
      await client.query('COMMIT');
      return value;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async run(sql: string, params?: unknown[]) {
    await this.ready;
    return this.direct.run(sql, params);
  }
  async all<T = Record<string, unknown>>(sql: string, params?: unknown[]) {
    await this.ready;
    return this.direct.all<T>(sql, params);
  }
  async get<T = Record<string, unknown>>(sql: string, params?: unknown[]) {
    await this.ready;
    return this.direct.get<T>(sql, params);
  }

  async transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    await this.ready;
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
      for (const k of keys) await tx.run('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [k]);
      return applyOnce(tx, key, request, effect);
    });
  }

  async migrate(statements: string[]): Promise<void> {
    await this.ready;
    await this.migrateNow(statements);
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.ready.catch(() => undefined);
    await this.pool.end();
  }
}
