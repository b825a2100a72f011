/**
 * The effect store under outages, with real processes: a PostgreSQL server stopped and started
 * during a run, an advisory lock held by another session, a store that is unreachable when a
 * worker starts, and a SQLite file locked by another connection. Each shows its bound firing.
 * The PostgreSQL cases start their own server (`.ci/postgres start`), so they need the server
 * binaries; like the other PostgreSQL tests they run when STEADFAST_TEST_PG_URL is set.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import type { Worker } from '@temporalio/worker';
import { prepareStore } from '../activities';
import { seedFinance } from '../activities/finance-seed';
import { openStore } from '../src/activity/store';
import { POSTGRES_TIMEOUTS } from '../src/activity/store/postgres';
import { SQLITE_BUSY } from '../src/activity/store/sqlite';
import { verifyStore } from '../activities/verify';
import { runKeyOf } from '../src/common/idempotency-key';
import { runKeysOf, runRecordOf } from '../src/client/run-record';
import { PROJECT_ROOT } from '../src/platform/config';
import { freePort, startDevServer, type TemporalHandle } from '../src/platform/servers';
import { StoreUnavailableError } from '../src/activity/store/errors';
import { referenceWorker } from './reference-worker';
import { moneyTransfer } from '../workflows';
import { FAULT_PLAN_MEMO_KEY } from '../src/common/fault-plan';
import { TransferStep } from '../contracts/finance-steps';
import { tempSqliteStore, uniqueId, waitUntil } from './helpers';
import { pgTestUrl } from './stores';
import { spawnReferenceWorker } from './crash-harness';

/** A PostgreSQL server of this test's own, on a fixed port, that can be stopped and started again. */
class OwnPostgres {
  url = '';
  private dir = '';
  constructor(readonly port: number) {}

  start(): void {
    const out = execFileSync(path.join(PROJECT_ROOT, '.ci', 'postgres'), ['start'], {
      env: { ...process.env, STEADFAST_TEST_PG_PORT: String(this.port) },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    this.url = /STEADFAST_TEST_PG_URL=(\S+)/.exec(out)![1];
    this.dir = /STEADFAST_TEST_PG_DIR=(\S+)/.exec(out)![1];
  }

  private pgCtl(...args: string[]): void {
    const bindir = fs.readdirSync('/usr/lib/postgresql').sort().at(-1)!;
    const cmd = [`/usr/lib/postgresql/${bindir}/bin/pg_ctl`, '-D', path.join(this.dir, 'data'), ...args];
    const r = process.getuid?.() === 0 ? spawnSync('runuser', ['-u', 'postgres', '--', ...cmd]) : spawnSync(cmd[0], cmd.slice(1));
    assert.equal(r.status, 0, `pg_ctl ${args.join(' ')}: ${r.stderr}`);
  }

  /** Stops the server (connections are cut), keeping its data. */
  stop(): void {
    this.pgCtl('-m', 'fast', '-w', 'stop');
  }

  /** Starts the stopped server again on the same port and data. */
  restart(): void {
    this.pgCtl('-l', path.join(this.dir, 'server.log'), '-w', '-t', '60', '-o', `-h 127.0.0.1 -p ${this.port} -k ${this.dir} -c fsync=off`, 'start');
  }

  remove(): void {
    if (this.dir) spawnSync(path.join(PROJECT_ROOT, '.ci', 'postgres'), ['stop', this.dir]);
  }
}

const requirePg = (ctx: Mocha.Context) => {
  if (pgTestUrl()) return;
  if (process.env.CI === 'true') throw new Error('CI=true, so the PostgreSQL outage tests must run, but STEADFAST_TEST_PG_URL is not set');
  ctx.skip();
};

describe('the effect store under outages', function () {
  describe('SQLite locked by another connection', function () {
    it('waits in short slices that leave the event loop free, then fails the attempt with a retryable error', async function () {
      const { store, file, cleanup } = await tempSqliteStore();
      const other = new Database(file);
      try {
        other.exec('BEGIN IMMEDIATE');
        let ticks = 0;
        const ticker = setInterval(() => ticks++, 10);
        const started = store.transaction(async (tx) => tx.run('INSERT INTO bank_transfers (transfer_id, withdrawal_key, created_at) VALUES (?, ?, ?)', ['t', 'k', 'now']));
        // The event loop keeps turning while the store waits for the lock.
        await waitUntil(() => ticks >= 20, { what: 'timer ticks while the store waits' });
        await assert.rejects(started, (err: unknown) => err instanceof StoreUnavailableError && /locked by another process/.test(err.message));
        clearInterval(ticker);
        // Released: the next attempt goes through.
        other.exec('ROLLBACK');
        await store.transaction(async (tx) => tx.run('INSERT INTO bank_transfers (transfer_id, withdrawal_key, created_at) VALUES (?, ?, ?)', ['t', 'k', 'now']));
        assert.equal((await store.all('SELECT * FROM bank_transfers')).length, 1);
        assert.ok(SQLITE_BUSY.sliceMs < 1_000 && SQLITE_BUSY.deadlineMs < 10_000);
      } finally {
        other.close();
        await cleanup();
      }
    });
  });

  describe('PostgreSQL', function () {
    let pg: OwnPostgres;
    before(async function () {
      requirePg(this);
      pg = new OwnPostgres(await freePort());
      pg.start();
    });
    after(function () {
      pg?.remove();
    });

    it('an advisory lock held by another session: a bounded wait, then a retryable failure', async function () {
      const store = openStore(pg.url);
      const holder = new Client({ connectionString: pg.url });
      await holder.connect();
      try {
        await prepareStore(store);
        const key = uniqueId('held');
        await holder.query('BEGIN');
        await holder.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [key]);
        let ran = false;
        await assert.rejects(
          store.once(key, { n: 1 }, async () => {
            ran = true;
            return 1;
          }),
          (err: unknown) => err instanceof StoreUnavailableError && err.message.includes(key) && /lock_timeout/.test(err.message),
        );
        assert.equal(ran, false, 'the effect did not run while another session held its key');
        await holder.query('ROLLBACK');
        assert.deepEqual(await store.once(key, { n: 1 }, async () => 1), { value: 1, replayed: false });
        assert.ok(POSTGRES_TIMEOUTS.lockMs < 10_000 && POSTGRES_TIMEOUTS.statementMs < 10_000 && POSTGRES_TIMEOUTS.idleInTransactionMs < 10_000);
      } finally {
        await holder.end();
        await store.close();
      }
    });

    it('a session idle in a transaction is ended by the server, so its locks do not outlive it', async function () {
      const store = openStore(pg.url);
      try {
        await prepareStore(store);
        const key = uniqueId('idle');
        // A transaction that stops issuing statements (a worker stuck or partitioned mid-effect).
        const stuck = store.transaction(async (tx) => {
          await tx.run('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [key]);
          await new Promise((r) => setTimeout(r, POSTGRES_TIMEOUTS.idleInTransactionMs + 2_000));
          await tx.run('SELECT 1');
        });
        await assert.rejects(stuck, /idle-in-transaction|terminat|Connection/i);
        assert.deepEqual(await store.once(key, { n: 1 }, async () => 1), { value: 1, replayed: false }, 'the lock is free again');
      } finally {
        await store.close();
      }
    });

    describe('with a Temporal server', function () {
      let temporal: TemporalHandle;
      before(async function () {
        temporal = await startDevServer();
      });
      after(async function () {
        await temporal?.close().catch((err) => console.error('server teardown failed:', err));
      });

      it('stopped and started during a run: the run completes, with its effects once', async function () {
        const db = `steadfast_o_${uniqueId('x').replace(/-/g, '_')}`;
        const admin = new Client({ connectionString: pg.url });
        await admin.connect();
        await admin.query(`CREATE DATABASE ${db}`);
        await admin.end();
        const url = pg.url.replace(/\/[^/]+$/, `/${db}`);
        const store = openStore(url);
        await prepareStore(store);
        const f = await seedFinance(store, uniqueId('outage'));
        const taskQueue = uniqueId('outage');
        const worker: Worker = await referenceWorker({ connection: temporal.nativeConnection, namespace: temporal.namespace, taskQueue, store });
        const running = worker.run();
        try {
          // The deposit fails twice (a transient fault), which keeps the run inside its steps long enough.
          const handle = await temporal.client.workflow.start(moneyTransfer, {
            taskQueue,
            workflowId: uniqueId('transfer'),
            args: [{ transferId: uniqueId('tx'), fromAccount: f.accounts.alice, toAccount: f.accounts.bob, amount: 4_321 }],
            memo: { [FAULT_PLAN_MEMO_KEY]: { deposit: { kind: 'transient', times: 2 } } },
          });
          const keys = await runKeysOf(handle);
          await waitUntil(() => store.get('SELECT id FROM bank_ledger WHERE key = ?', [runKeyOf(keys, TransferStep.withdraw)]), {
            what: 'the withdrawal to commit',
          });
          pg.stop();
          // Attempts now fail against the stopped store; Temporal retries them.
          await waitUntil(
            async () => {
              const pending = (await handle.describe()).raw.pendingActivities?.[0];
              return (pending?.attempt ?? 0) >= 3 && /ECONNREFUSED|connect|terminat|timeout/i.test(pending?.lastFailure?.message ?? '');
            },
            { timeoutMs: 60_000, what: 'a deposit attempt to fail on the stopped store' },
          );
          pg.restart();
          const result = await handle.result();
          assert.equal(result.amount, 4_321);
          for (const step of [TransferStep.withdraw, TransferStep.deposit]) {
            const legs = await store.all('SELECT id FROM bank_ledger WHERE key = ?', [runKeyOf(keys, step)]);
            assert.equal(legs.length, 2, `${step}: one posting of two legs`);
          }
          assert.deepEqual((await verifyStore(store, { runs: [await runRecordOf(handle)] })).violations, []);
        } finally {
          worker.shutdown();
          await running.catch((err) => console.error('worker failed:', err));
          await store.close();
        }
      });

      it('unreachable when a worker starts: it says so, retries, and becomes ready once the store is back', async function () {
        const port = await freePort();
        const late = new OwnPostgres(port);
        const worker = spawnReferenceWorker({
          temporal,
          taskQueue: uniqueId('late-store'),
          // It polls only once the store is back: PostgreSQL's start, then the worker's backoff.
          readyTimeoutMs: 120_000,
          // The `postgres` database exists as soon as the server accepts connections; `steadfast_test` is
          // created a moment later by .ci/postgres, and a worker connecting in between would be told it does not exist.
          storeUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
          identity: uniqueId('late'),
        });
        try {
          await waitUntil(() => worker.tail.some((l) => /effect store .* is unreachable .*retrying in/.test(l)), {
            timeoutMs: 60_000,
            what: 'the worker to log that the store is unreachable',
          });
          assert.ok(worker.running, 'the worker waits; it did not crash');
          late.start();
          await worker.ready;
          assert.ok(worker.tail.some((l) => /reachable again/.test(l)), worker.tail.join('\n'));
          assert.ok(!worker.tail.some((l) => /unhandled/i.test(l)), worker.tail.join('\n'));
        } finally {
          worker.child.kill('SIGTERM');
          await worker.exited;
          late.remove();
        }
      });
    });
  });
});
