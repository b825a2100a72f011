/**
 * The demo (`npm start`) as a user runs it: a real process that starts its own dev server, runs
 * to completion and exits 0; and Ctrl-C (SIGINT to the whole process group, as a terminal sends
 * it) stops the worker, then the server, exits 130 and leaves no process behind.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { startDevServer, waitUntil } from 'steadfast/testing';

const ROOT = path.resolve(__dirname, '..');

interface DemoProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startDemo(env: NodeJS.ProcessEnv = {}): DemoProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'client/demo.ts'], {
    cwd: ROOT,
    // Its own process group, so the test can signal the group the way a terminal's Ctrl-C does.
    detached: true,
    env: { ...process.env, STEADFAST_LOG_LEVEL: 'ERROR', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

function serverPort(output: string): number {
  const match = /Temporal: 127\.0\.0\.1:(\d+)/.exec(output);
  assert.ok(match, `the demo prints its server address; output so far:\n${output}`);
  return Number(match[1]);
}

describe('the demo (npm start)', function () {
  this.timeout(180_000);
  let demo: DemoProcess | undefined;

  afterEach(async function () {
    if (demo && demo.child.exitCode === null && demo.child.signalCode === null) {
      process.kill(-demo.child.pid!, 'SIGKILL');
      await demo.exited;
    }
  });

  it('runs every scenario to completion on an embedded server, prints a summary and exits 0', async function () {
    demo = startDemo();
    const { code } = await demo.exited;
    const output = demo.output();
    assert.equal(code, 0, output);
    assert.match(output, /Web UI: +http:\/\/127\.0\.0\.1:\d+/);
    assert.match(output, /Demo finished: (\d+) of \1 runs ended as expected/);
    assert.match(output, /trail:/);
    assert.equal(await portAccepts(serverPort(output)), false, 'the embedded server is gone after exit');
  });

  it('on Ctrl-C stops the worker and the server, exits 130 and leaves no process behind', async function () {
    demo = startDemo();
    const current = demo;
    await waitUntil(() => /workflow id /.test(current.output()), { timeoutMs: 90_000, what: 'the first run to start' });
    const port = serverPort(current.output());
    assert.equal(await portAccepts(port), true, 'the embedded server is up while the demo runs');
    process.kill(-current.child.pid!, 'SIGINT');
    const { code } = await current.exited;
    assert.equal(code, 130, current.output());
    assert.match(current.output(), /Interrupted: stopping the worker gracefully/);
    await waitUntil(async () => !(await portAccepts(port)), { timeoutMs: 10_000, what: 'the server port to close' });
    // Nothing of the process group survives (the dev server would be a member of it).
    assert.throws(() => process.kill(-current.child.pid!, 0), { code: 'ESRCH' });
  });

  it('uses the server named by TEMPORAL_ADDRESS and starts none', async function () {
    const server = await startDevServer();
    try {
      demo = startDemo({ TEMPORAL_ADDRESS: server.address });
      const { code } = await demo.exited;
      const output = demo.output();
      assert.equal(code, 0, output);
      assert.match(output, new RegExp(`Connecting to ${server.address}`));
      assert.doesNotMatch(output, /Web UI:|embedded/);
      // Visibility is eventually consistent: poll for the demo's completed runs.
      await waitUntil(
        async () => (await server.client.workflow.count('ExecutionStatus = "Completed"')).count > 0,
        { timeoutMs: 15_000, what: "the demo's runs to show as completed on the external server" },
      );
    } finally {
      await server.close();
    }
  });
});
