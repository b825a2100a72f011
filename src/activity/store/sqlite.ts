import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StoreUnavailableError } from './errors';
import { KEYS_ADDED_COLUMNS, KEYS_DDL, KEYS_INDEXES } from './keys';
import { applyOnce, guardOf } from './once';
import type { EffectStore, OnceOptions, OnceResult, StoreTx } from './types';

/**
 * How the SQLite store waits for a lock that another process holds. better-sqlite3 is synchronous,
 * so SQLite's own busy wait blocks the event loop, and with it the activity heartbeats: it is kept
 * to one short slice, and the store waits between slices with a timer, until the deadline.
 */
export const SQLITE_BUSY = {
  /** SQLite's `busy_timeout`: the longest the event loop is blocked by one try. */
  sliceMs: 50,
  /** Pause between tries (grows to 4× this). */
  pauseMs: 25,
  /** Then the attempt fails with a retryable error: shorter than a service call's 10 s start-to-close. */
  deadlineMs: 8_000,
} as const;

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_BUSY_SNAPSHOT';
}

/** Runs `fn`, and again while SQLite reports busy, pausing with a timer, until {@link SQLITE_BUSY}'s deadline. */
async function whileBusy<T>(what: string, fn: () => T): Promise<T> {
  const deadline = Date.now() + SQLITE_BUSY.deadlineMs;
  for (let tries = 1; ; tries++) {
    try {
      return fn();
    } catch (err) {
      if (!isBusy(err)) throw err;
      if (Date.now() >= deadline) {
        throw new StoreUnavailableError(
          `effect store: the SQLite file is locked by another process (${what}, ${tries} tries over ${SQLITE_BUSY.deadlineMs} ms); ` +
            'the attempt fails and is retried',
          { cause: err },
        );
      }
      await new Promise((r) => setTimeout(r, SQLITE_BUSY.pauseMs * Math.min(tries, 4)));
    }
  }
}

/**
 * SQLite effect store (better-sqlite3). Transactions are `BEGIN IMMEDIATE`, so writers in other
 * processes (other workers on the same file) wait for the lock instead of racing, in short slices
 * ({@link SQLITE_BUSY}) that leave the event loop free; within this process they are chained,
 * because one connection has one transaction at a time.
 */
export class SqliteStore implements EffectStore {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly location: string) {
    // Owner-only: the file holds every effect (and SQLite gives its -wal and -shm files the same mode).
    if (location !== ':memory:') {
      fs.mkdirSync(path.dirname(location), { recursive: true, mode: 0o700 });
      fs.closeSync(fs.openSync(location, 'a', 0o600));
      fs.chmodSync(location, 0o600);
    }
    this.db = new Database(location);
    // Opening happens once, before any activity runs, so a longer blocking wait is harmless here.
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    for (const ddl of KEYS_DDL) this.db.exec(ddl);
    const columns = new Set((this.db.pragma('table_info(steadfast_idempotency)') as { name: string }[]).map((c) => c.name));
    for (const c of KEYS_ADDED_COLUMNS) if (!columns.has(c)) this.db.exec(`ALTER TABLE steadfast_idempotency ADD COLUMN ${c} TEXT`);
    for (const ddl of KEYS_INDEXES) this.db.exec(ddl);
    this.db.pragma(`busy_timeout = ${SQLITE_BUSY.sliceMs}`);
  }

  private readonly direct: StoreTx = {
    run: async (sql, params = []) => ({ changes: this.db.prepare(sql).run(...(params as unknown[])).changes }),
    all: async <T>(sql: string, params: unknown[] = []) => this.db.prepare(sql).all(...params) as T[],
    get: async <T>(sql: string, params: unknown[] = []) => this.db.prepare(sql).get(...params) as T | undefined,
  };

  run(sql: string, params?: unknown[]) {
    return whileBusy('a statement', () => this.db.prepare(sql).run(...((params ?? []) as unknown[]))).then((r) => ({ changes: r.changes }));
  }
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]) {
    return whileBusy('a query', () => this.db.prepare(sql).all(...(params ?? [])) as T[]);
  }
  get<T = Record<string, unknown>>(sql: string, params?: unknown[]) {
    return whileBusy('a query', () => this.db.prepare(sql).get(...(params ?? [])) as T | undefined);
  }

  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    const result = this.queue.then(async () => {
      // BEGIN IMMEDIATE takes the write lock up front: the one place where another process makes us wait.
      await whileBusy('BEGIN IMMEDIATE', () => this.db.exec('BEGIN IMMEDIATE'));
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
  once<T>(key: string, request: unknown, effect: (tx: StoreTx) => Promise<T>, options?: OnceOptions): Promise<OnceResult<T>> {
    return this.transaction((tx) => applyOnce(tx, key, request, effect, { owner: options?.owner, guard: guardOf(options) }));
  }

  async migrate(statements: string[]): Promise<void> {
    await this.transaction(async () => {
      for (const ddl of statements) this.db.exec(ddl);
    });
  }

  async close(): Promise<void> {
    await this.queue;
    this.db.close();
  }
}
