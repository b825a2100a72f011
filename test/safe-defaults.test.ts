/**
 * Safe defaults: a production worker ignores fault plans, a worker or demo that reaches a remote
 * server needs an explicit store, the files Steadfast creates are owner-only, and PostgreSQL's TLS
 * settings reach the driver.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from 'steadfast/activity';
import { FAULT_PLAN_MEMO_KEY, trailFromEvents, workflowStartOptions, type FaultPlan } from 'steadfast/client';
import { ConfigError, isLoopbackAddress, loadConfig, loadWorkerProcessConfig, plaintextConnectionWarning } from 'steadfast/worker';
import { PROJECT_ROOT } from '../src/platform/config';
import { startDevServer, type TemporalHandle } from '../src/platform/servers';
import { carePathway } from '../workflows';
import { keysLike, tempSqliteStore, uniqueId } from './helpers';
import { referenceWorker } from './reference-worker';
import { pgTestUrl, storeBackends } from './stores';

/** A TEST-NET address (RFC 5737): not loopback, and nothing answers there. */
const REMOTE = '203.0.113.7:7233';

describe('safe defaults', function () {
  this.timeout(120_000);

  describe('fault injection is off unless enabled', function () {
    let temporal: TemporalHandle;
    before(async function () {
      temporal = await startDevServer();
    });
    after(async function () {
      await temporal?.close();
    });

    it('a production worker ignores a fault plan in the memo: the effect happens, no simulated fault', async function () {
      const { store, cleanup } = await tempSqliteStore();
      try {
        const taskQueue = uniqueId('prod-tq');
        // The tests turn fault injection on for the whole process; a production worker has it off.
        const worker = await referenceWorker({ connection: temporal.nativeConnection, namespace: temporal.namespace, taskQueue, store, faultInjection: false });
        const handle = await worker.runUntil(async () => {
          const h = await temporal.client.workflow.start(carePathway, {
            taskQueue,
            workflowId: uniqueId('care'),
            args: [{ patientId: 'p-prod', ward: 'icu', followUpAfter: '1s' }],
            memo: { [FAULT_PLAN_MEMO_KEY]: { admitPatient: { kind: 'permanent' }, scheduleFollowUp: { kind: 'transient', times: 3 } } satisfies FaultPlan },
            ...workflowStartOptions(),
          });
          await h.result();
          return h;
        });
        const trail = trailFromEvents((await handle.fetchHistory()).events ?? []).filter((s) => s.kind === 'activity');
        assert.deepEqual(
          trail.map((s) => [s.name, s.outcome, s.attempts]),
          [
            ['admitPatient', 'completed', 1],
            ['scheduleFollowUp', 'completed', 1],
          ],
        );
        const admissions = await store.all<{ key: string }>('SELECT key FROM steadfast_idempotency WHERE key LIKE ?', [keysLike(handle.workflowId)]);
        assert.equal(admissions.length, 2, 'both effects committed');
      } finally {
        await cleanup();
      }
    });

    it('worker processes turn it on with STEADFAST_FAULT_INJECTION=1 only; crash points need it too', function () {
      assert.equal(loadWorkerProcessConfig({}).faultInjection, false);
      assert.equal(loadWorkerProcessConfig({ STEADFAST_FAULT_INJECTION: '1' }).faultInjection, true);
      assert.throws(() => loadWorkerProcessConfig({ STEADFAST_FAULT_INJECTION: 'yes' }), (err: Error) => err instanceof ConfigError && /STEADFAST_FAULT_INJECTION/.test(err.message));
      assert.throws(
        () => loadWorkerProcessConfig({ STEADFAST_CRASH_POINTS_DIR: os.tmpdir() }),
        (err: Error) => err instanceof ConfigError && /STEADFAST_CRASH_POINTS_DIR.*STEADFAST_FAULT_INJECTION=1/.test(err.message),
      );
    });
  });

  describe('a remote Temporal server needs an explicit store', function () {
    it('a worker process refuses to start, naming STEADFAST_STORE', function () {
      const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: REMOTE, STEADFAST_LOG_LEVEL: 'ERROR' };
      delete env.STEADFAST_STORE;
      const r = spawnSync(process.execPath, ['--import', 'tsx', path.join('workers', 'main.ts')], { cwd: PROJECT_ROOT, env, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 2, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, /STEADFAST_STORE must be set when the Temporal server is not on this machine \(203\.0\.113\.7:7233\)/);
    });

    it('the demo refuses too', function () {
      const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: REMOTE };
      delete env.STEADFAST_STORE;
      const r = spawnSync(process.execPath, ['--import', 'tsx', path.join('client', 'demo.ts')], { cwd: PROJECT_ROOT, env, encoding: 'utf8', timeout: 60_000 });
      assert.notEqual(r.status, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, /STEADFAST_STORE must be set when the Temporal server is not on this machine/);
      assert.doesNotMatch(r.stdout, /Connecting to/, 'it refuses before it connects');
    });

    it('loopback addresses are local; a remote one without TLS is warned about', function () {
      for (const a of ['127.0.0.1:7233', 'localhost:7233', '[::1]:7233', '127.8.9.1:1']) assert.equal(isLoopbackAddress(a), true, a);
      for (const a of [REMOTE, 'temporal.example.com:7233', '[2001:db8::1]:7233', '10.0.0.1:7233']) assert.equal(isLoopbackAddress(a), false, a);
      const base = { TEMPORAL_ADDRESS: REMOTE, STEADFAST_STORE: 'sqlite:/tmp/x.db' };
      assert.match(plaintextConnectionWarning(loadConfig(base)) ?? '', /without TLS/);
      assert.equal(plaintextConnectionWarning(loadConfig({ ...base, TEMPORAL_TLS: 'true' })), undefined);
      assert.equal(plaintextConnectionWarning(loadConfig({ ...base, TEMPORAL_ADDRESS: '127.0.0.1:7233' })), undefined);
    });
  });

  describe('files Steadfast creates are owner-only', function () {
    it('a SQLite store: its directory 0700, the database and its WAL 0600, whatever the umask', async function () {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-modes-'));
      const previous = process.umask(0o022);
      try {
        const file = path.join(root, 'state', 'effects.db');
        const store = openStore(`sqlite:${file}`);
        await store.run('CREATE TABLE t (x INTEGER)');
        await store.run('INSERT INTO t VALUES (1)');
        assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
        for (const f of [file, `${file}-wal`]) assert.equal(fs.statSync(f).mode & 0o777, 0o600, f);
        await store.close();
      } finally {
        process.umask(previous);
        fs.rmSync(root, { recursive: true, force: true });
      }
    });
  });

  describe('PostgreSQL TLS settings reach the driver', function () {
    const pg = storeBackends.find((b) => b.name === 'postgres')!;
    before(function () {
      pg.require(this);
    });

    it('sslmode=verify-full against a server without TLS fails instead of falling back to plain text', async function () {
      const url = new URL(pgTestUrl()!);
      url.searchParams.set('sslmode', 'verify-full');
      const store = openStore(url.toString());
      try {
        await assert.rejects(store.run('SELECT 1'), /does not support SSL/);
      } finally {
        await store.close().catch(() => undefined);
      }
    });
  });
});
