import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { KEYS_DDL } from './keys';
import { applyOnce } from './once';
import type { EffectStore, OnceOptions, OnceResult, StoreTx } from './types';

/**
 * SQLite effect store (better-sqlite3). Transactions are `BEGIN IMMEDIATE`, so writers in other
 * processes (other workers on the same file) wait for the lock (busy_timeout) instead of racing;
 * within this process they are chained, because one connection has one transaction at a time.
 */
export class SqliteStore implements EffectStore {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly location: string) {
    if (location !== ':memory:') fs.mkdirSync(path.dirname(location), { recursive: true });
    this.db = new Database(location);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 10000');
    this.db.pragma('synchronous = FULL');
    for (const ddl of KEYS_DDL) this.db.exec(ddl);
  }

  private readonly direct: StoreTx = {
    run: async (sql, params = []) => ({ changes: this.db.prepare(sql).run(...(params as unknown[])).changes }),
    all: async <T>(sql: string, params: unknown[] = []) => this.db.prepare(sql).all(...params) as T[],
    get: async <T>(sql: string, params: unknown[] = []) => this.db.prepare(sql).get(...params) as T | undefined,
  };

  run(sql: string, params?: unknown[]) {
    return this.direct.run(sql, params);
  }
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]) {
    return this.direct.all<T>(sql, params);
  }
  get<T = Record<string, unknown>>(sql: string, params?: unknown[]) {
    return this.direct.get<T>(sql, params);
  }

  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    const result = this.queue.then(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const value = await fn(this.direct);
        this.db.exec('COMMIT');
        return value;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** `options.alsoLock` needs nothing here: `BEGIN IMMEDIATE` already serializes every writer. */
  once<T>(key: string, request: unknown, effect: (tx: StoreTx) => Promise<T>, _options?: OnceOptions): Promise<OnceResult<T>> {
    return this.transaction((tx) => applyOnce(tx, key, request, effect));
  }

  async migrate(statements: string[]): Promise<void> {
    for (const ddl of statements) this.db.exec(ddl);
  }

  async close(): Promise<void> {
    await this.queue;
    this.db.close();
  }
}
