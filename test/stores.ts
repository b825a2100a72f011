/**
 * The store back ends that store tests run against: SQLite always; PostgreSQL when
 * STEADFAST_TEST_PG_URL is set (`.ci/run` starts one; locally: `eval "$(.ci/postgres start)"`).
 * Without the URL, PostgreSQL tests are skipped with a printed reason, except in CI (CI=true),
 * where they fail: CI must test the real database.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { prepareStore } from '../activities';
import { openStore, type EffectStore } from '../src/activity/store';
import { tempSqliteStore } from './helpers';

/** A throwaway store and how to remove it. */
export interface TempStore {
  store: EffectStore;
  /** The URL another process can open (`STEADFAST_STORE`). */
  url: string;
  cleanup(): Promise<void>;
}

/** A store back end for tests. */
export interface StoreBackend {
  name: 'sqlite' | 'postgres';
  /**
   * Call in `before`: skips the suite (printing why) when the back end is not configured outside
   * CI, and fails it in CI.
   */
  require(ctx: Mocha.Context): void;
  /** A fresh, empty store with every service's tables. */
  open(): Promise<TempStore>;
}

/** The PostgreSQL URL for tests, if configured. */
export function pgTestUrl(): string | undefined {
  const url = process.env.STEADFAST_TEST_PG_URL?.trim();
  return url ? url : undefined;
}

const sqlite: StoreBackend = {
  name: 'sqlite',
  require() {},
  async open() {
    const { store, file, cleanup } = await tempSqliteStore();
    return { store, url: `sqlite:${file}`, cleanup };
  },
};

let skipNoticePrinted = false;

const postgres: StoreBackend = {
  name: 'postgres',
  require(ctx) {
    if (pgTestUrl()) return;
    const reason = 'STEADFAST_TEST_PG_URL is not set (start one with: eval "$(.ci/postgres start)")';
    if (process.env.CI === 'true') throw new Error(`CI=true, so the PostgreSQL tests must run, but ${reason}`);
    if (!skipNoticePrinted) console.log(`      (skipping PostgreSQL tests: ${reason})`);
    skipNoticePrinted = true;
    ctx.skip();
  },
  /** A fresh database on the test server, dropped by cleanup. */
  async open() {
    const base = pgTestUrl();
    if (!base) throw new Error('STEADFAST_TEST_PG_URL is not set');
    const name = `steadfast_t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const admin = new Client({ connectionString: base });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    const url = new URL(base);
    url.pathname = `/${name}`;
    const store = openStore(url.toString());
    await prepareStore(store);
    return {
      store,
      url: url.toString(),
      async cleanup() {
        await store.close().catch((err) => console.error('store close failed:', err));
        const c = new Client({ connectionString: base });
        await c.connect();
        try {
          await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        } finally {
          await c.end();
        }
      },
    };
  },
};

/** Every back end, SQLite first. */
export const storeBackends: StoreBackend[] = [sqlite, postgres];
