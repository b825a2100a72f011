/**
 * The CLI's long-running commands as real processes: `steadfast server` (a dev server in the
 * foreground with a persistent database and Steadfast's search attributes, stopped by Ctrl-C),
 * `steadfast worker` (graceful shutdown on SIGTERM) and `steadfast demo` (what `npm start` runs).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseJson, runCli, spawnCli, type CliProcess } from './cli-process';
import { freePort, startDevServer, uniqueId } from 'steadfast/testing';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** True when nothing listens on 127.0.0.1:`port`. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('steadfast server, worker and demo as processes', function () {
  let dir: string;
  const running: CliProcess[] = [];

  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-cli-'));
  });

  after(async function () {
    for (const p of running) await p.stop('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function spawn(args: string[], env: Record<string, string | undefined>): CliProcess {
    const p = spawnCli(args, env);
    running.push(p);
    return p;
  }

  it('server: UI on, search attributes registered, runs persist across a restart, Ctrl-C stops it cleanly', async function () {
    const [port, uiPort] = [await freePort(), await freePort()];
    const db = path.join(dir, 'dev-server.db');
    const args = ['server', '--port', String(port), '--ui-port', String(uiPort), '--db', db];
    const env = { TEMPORAL_ADDRESS: `127.0.0.1:${port}`, STEADFAST_TASK_QUEUE: uniqueId('cli-server-tq') };

    const first = spawn(args, env);
    const ready = await first.waitFor('ready');
    assert.equal(ready.address, `127.0.0.1:${port}`);
    assert.equal(ready.uiUrl, `http://127.0.0.1:${uiPort}`);
    assert.equal(ready.db, db);
    assert.deepEqual(ready.searchAttributes, ['SteadfastFaults', 'SteadfastFaultKinds', 'SteadfastCompensated']);
    const ui = await fetch(`http://127.0.0.1:${uiPort}/`);
    assert.equal(ui.status, 200);

    // The faults query names the custom attributes: it fails on a server that lacks them.
    const faults = await runCli(['faults', '--json'], env);
    assert.equal(faults.code, 0, faults.stderr);
    assert.deepEqual(parseJson<Json>(faults).runs, []);

    const workflowId = uniqueId('care-persisted');
    const started = await runCli(
      ['start', 'carePathway', '--id', workflowId, '--input', '{"patientId": "p-9", "ward": "icu", "followUpAfter": "14 days"}'],
      env,
    );
    assert.equal(started.code, 0, started.stderr);

    assert.equal(await first.stop('SIGINT'), 0, first.output());
    assert.deepEqual(first.events.map((e) => e.event), ['ready', 'stopping', 'stopped']);
    assert.deepEqual(first.stray, [], 'stdout holds JSON Lines only; the dev server banner goes to stderr');
    assert.match(first.output(), /Temporal Server:/, 'the banner is on stderr');
    assert.ok(await portIsFree(port), 'the server process is gone');
    assert.ok(await portIsFree(uiPort), 'the UI is gone');

    const second = spawn(args, env);
    await second.waitFor('ready');
    const status = await runCli(['status', workflowId, '--json'], env);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(parseJson<Json>(status).status, 'RUNNING');
    assert.equal(await second.stop('SIGTERM'), 0, second.output());
    assert.ok(await portIsFree(port));
  });

  it('server: a port in use is a clear error (exit 1)', async function () {
    const blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const r = await runCli(['server', '--port', String(port), '--no-ui', '--db', path.join(dir, 'x.db'), '--json'], {});
      assert.equal(r.code, 1);
      const { error } = parseJson<Json>(r);
      assert.equal(error.code, 'port-in-use');
      assert.equal(error.field, '--port');
      assert.match(error.message, new RegExp(`cannot listen on 127.0.0.1:${port}`));
    } finally {
      blocker.close();
    }
  });

  it('worker: runs workflows from the task queue and shuts down gracefully on SIGTERM', async function () {
    const temporal = await startDevServer();
    try {
      const env = {
        TEMPORAL_ADDRESS: temporal.address,
        STEADFAST_TASK_QUEUE: uniqueId('cli-worker-tq'),
        STEADFAST_STORE: `sqlite:${path.join(dir, 'worker-effects.db')}`,
      };
      const worker = spawn(['worker'], env);
      const ready = await worker.waitFor('ready');
      assert.equal(ready.taskQueue, env.STEADFAST_TASK_QUEUE);
      assert.deepEqual(ready.registered, [], 'the dev server already had the search attributes');

      const run = await runCli(
        ['start', 'carePathway', '--input', '{"patientId": "p-10", "ward": "icu", "followUpAfter": "1s"}', '--wait', '--json'],
        env,
      );
      assert.equal(run.code, 0, run.stderr);
      assert.equal(parseJson<Json>(run).status, 'COMPLETED');

      assert.equal(await worker.stop('SIGTERM'), 0, worker.output());
      assert.deepEqual(worker.events.map((e) => e.event), ['starting', 'ready', 'stopping', 'stopped']);
      assert.deepEqual(worker.stray, []);
    } finally {
      await temporal.close();
    }
  });

  it('bundle: writes the workflow bundle once; a worker given it (STEADFAST_WORKFLOW_BUNDLE) runs workflows', async function () {
    const missing = await runCli(['bundle', '--json'], {});
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stdout + missing.stderr, /--out/);

    const file = path.join(dir, 'bundles', 'workflow-bundle.js');
    const built = await runCli(['bundle', '--out', file, '--json'], {});
    assert.equal(built.code, 0, built.stderr);
    const out = parseJson<Json>(built);
    assert.equal(out.file, file);
    assert.equal(out.bytes, fs.statSync(file).size);
    assert.match(fs.readFileSync(file, 'utf8'), /carePathway/);

    const temporal = await startDevServer();
    try {
      const env = {
        TEMPORAL_ADDRESS: temporal.address,
        STEADFAST_TASK_QUEUE: uniqueId('cli-bundle-tq'),
        STEADFAST_STORE: `sqlite:${path.join(dir, 'bundle-effects.db')}`,
        STEADFAST_WORKFLOW_BUNDLE: file,
      };
      const worker = spawn(['worker'], env);
      await worker.waitFor('ready');
      const run = await runCli(
        ['start', 'carePathway', '--input', '{"patientId": "p-11", "ward": "icu", "followUpAfter": "1s"}', '--wait', '--json'],
        env,
      );
      assert.equal(run.code, 0, run.stderr);
      assert.equal(parseJson<Json>(run).status, 'COMPLETED');
      assert.equal(await worker.stop('SIGTERM'), 0, worker.output());
    } finally {
      await temporal.close();
    }
  });

  it('demo: what npm start runs, through the CLI, ends with exit 0', async function () {
    const r = await runCli(['demo', '--json'], {
      TEMPORAL_ADDRESS: undefined,
      STEADFAST_STORE: `sqlite:${path.join(dir, 'demo-effects.db')}`,
    });
    assert.equal(r.code, 0, r.stderr);
    // One JSON document on stdout: the embedded server's banner and the narrative go to stderr.
    assert.deepEqual(JSON.parse(r.stdout), { event: 'finished', exitCode: 0 });
    assert.match(r.stderr, /Demo finished: \d+ of \d+ runs ended as expected/);
  });
});
