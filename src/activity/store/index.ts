/**
 * Opens the effect store named by a URL: `sqlite:<file>` (default, under `.steadfast/`) or
 * `postgres://…` (`STEADFAST_STORE`).
 */
import { PostgresStore } from './postgres';
import { SqliteStore } from './sqlite';
import type { EffectStore } from './types';

export * from './types';
export { canonicalJson, requestHash } from './keys';

export function openStore(url: string): EffectStore {
  if (url.startsWith('sqlite:')) return new SqliteStore(url.slice('sqlite:'.length));
  if (/^postgres(ql)?:\/\//.test(url)) return new PostgresStore(url);
  throw new Error(`unsupported effect store URL "${url}": expected "sqlite:<file>" or "postgres://…"`);
}
