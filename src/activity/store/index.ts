/**
 * Opens the effect store named by a URL: `sqlite:<file>` (default, under `.steadfast/`) or
 * `postgres://…` (`STEADFAST_STORE`).
 */
import { PostgresStore } from './postgres';
import { SqliteStore } from './sqlite';
import type { EffectStore } from './types';

export * from './types';
export { canonicalJson, requestHash } from './keys';

/**
 * Opens the effect store named by `url`, the form `STEADFAST_STORE` takes (`loadConfig().storeUrl`):
 *
 * - `sqlite:<file>`: a SQLite file (better-sqlite3), created with its folder if missing, readable
 *   by the owner only; `sqlite::memory:` keeps it in memory. Its own tables are created now, so an
 *   unusable file throws here. Several processes may share the file: writers wait for each other.
 * - `postgres://…` or `postgresql://…`: a PostgreSQL database through a pool of at most 8
 *   connections. Nothing is contacted until first use, where its own tables are created; a
 *   server that is down then fails that call, and the next call tries again.
 *
 * Close the store with {@link EffectStore.close} when done.
 *
 * @throws Error naming the URL when it is neither form.
 *
 * @example
 * import { openStore } from 'steadfast/activity';
 *
 * const store = openStore(process.env.STEADFAST_STORE ?? 'sqlite:.steadfast/effects.db');
 * await store.migrate(['CREATE TABLE IF NOT EXISTS bookings (key TEXT PRIMARY KEY, flight TEXT NOT NULL)']);
 */
export function openStore(url: string): EffectStore {
  if (url.startsWith('sqlite:')) return new SqliteStore(url.slice('sqlite:'.length));
  if (/^postgres(ql)?:\/\//.test(url)) return new PostgresStore(url);
  throw new Error(`unsupported effect store URL "${url}": expected "sqlite:<file>" or "postgres://…"`);
}
