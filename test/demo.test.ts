/**
 * The demo (`npm start`) as a user runs it: a real process that starts its own dev server and runs
 * every scenario with every payload encrypted (the demo key: none is configured here). Staying up
 * (what a terminal gets; forced here with STEADFAST_DEMO_STAY_UP=1) it serves a codec server that
 * the Web UI is preset to decode through, and Ctrl-C (SIGINT to the whole process group, as a
 * terminal sends it) then exits 0; Ctrl-C during the runs stops the worker, then the server, and
 * exits 130; without a terminal it exits by itself. No process is left behind.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { AesGcmCodec, decodeHistory, loadCodecKeys } from 'steadfast/client';
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

/** The bytes of a history as the server stores them (protobuf). */
function bytesOf(history: proto.api.history.v1.IHistory): Buffer {
  return Buffer.from(proto.api.history.v1.History.encode(history).finish());
}

/** What the demo's inputs hold that must never reach the server in plain text (client/demo-*.ts). */
const SENSITIVE = [
  'patient-1001', 'patient-1002', 'cardiology', 'oncology', // care pathways: patient ids, wards
  'alice@example.com', '1 Market Street', 'acct-alice', 'acct-shop', // orders: email, address, accounts
  'dr-on-call', // the sign-off signal
  '[simulated] permanent fault', // a failure message
];

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
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

  it('encrypts every payload, stays up with a codec server for the Web UI, and exits 0 on Ctrl-C', async function () {
    this.timeout(360_000);
    demo = startDemo({ STEADFAST_DEMO_STAY_UP: '1' });
    const current = demo;
    const exitedEarly = current.exited.then(({ code }) => assert.fail(`the demo exited (${code}) instead of staying up:\n${current.output()}`));
    await Promise.race([
      exitedEarly,
      waitUntil(() => /Press Ctrl-C to stop/.test(current.output()), { timeoutMs: 300_000, intervalMs: 250, what: 'the demo to finish its runs and stay up' }),
    ]);
    exitedEarly.catch(() => undefined);
    const output = current.output();
    assert.match(output, /Demo finished: (\d+) of \1 runs ended as expected/);
    assert.match(output, /Web UI: +http:\/\/127\.0\.0\.1:\d+/);
    // Item 7 of the issue: the care escalation and the production batch resumed after a SIGKILL.
    assert.match(output, /the on-call clinician was paged/);
    assert.match(output, /killed demo-line-worker-\d-\S+ \(pid \d+, SIGKILL\) with the stage checkpointed at unit \d+/);
    assert.match(output, /resumed at unit [1-9]\d*, the checkpoint, not at 0/);

    const address = `127.0.0.1:${serverPort(output)}`;
    const uiUrl = /Web UI: +(http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1];
    const [, codecUrl, tokenFile] = /Codec: +(http:\/\/127\.0\.0\.1:\d+) \(token in (.+)\)/.exec(output) ?? [];
    assert.ok(codecUrl && tokenFile, `the demo names its codec server and token file:\n${output}`);
    const keyFile = /Payloads: encrypted \(AES-256-GCM\), key "[^"]+" from (\S+) \(a demo key/.exec(output)?.[1];
    assert.ok(keyFile, `the demo says it encrypts with the demo key:\n${output}`);
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600, 'the demo key file is private');
    assert.equal(fs.statSync(tokenFile).mode & 0o777, 0o600, 'the token file is private');
    const token = fs.readFileSync(tokenFile, 'utf8').trim();
    const keys = loadCodecKeys({ STEADFAST_CODEC_KEYS_FILE: keyFile })!;
    const workflowIds = [...output.matchAll(/workflow id (\S+)/g)].map((m) => m[1]);
    assert.ok(workflowIds.length >= 6, output);

    // The histories as the server stores them (a client without the codec): no sensitive field.
    const connection = await Connection.connect({ address });
    try {
      const raw = new Client({ connection });
      let careInput: proto.api.common.v1.IPayload | undefined;
      for (const id of workflowIds) {
        const history = await raw.workflow.getHandle(id).fetchHistory();
        const bytes = bytesOf(history);
        for (const s of SENSITIVE) assert.equal(bytes.includes(Buffer.from(s)), false, `the raw history of ${id} holds "${s}" in plain text`);
        assert.ok(bytes.includes(Buffer.from(keys.current)), `the payloads of ${id} name the demo key`);
        if (id.startsWith('care-pathway-') && !careInput) {
          careInput = history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0];
          // The check above looked for something real: with the key, the history holds the patient id.
          const decoded = bytesOf(await decodeHistory(history, [new AesGcmCodec(keys)]));
          assert.ok(decoded.includes(Buffer.from('patient-100')), 'decoded with the key, the care run holds its patient id');
        }
      }
      assert.ok(careInput, 'a care pathway ran');
      const payload = {
        metadata: Object.fromEntries(Object.entries(careInput.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
        data: Buffer.from(careInput.data!).toString('base64'),
      };

      // The codec server: decodes with the token, 401 without.
      const decoded = await post(`${codecUrl}/decode`, { payloads: [payload] }, { Authorization: `Bearer ${token}` });
      assert.equal(decoded.status, 200);
      const [out] = ((await decoded.json()) as { payloads: { data: string }[] }).payloads;
      assert.match(Buffer.from(out.data, 'base64').toString('utf8'), /"patientId":"patient-100\d"/);
      assert.equal((await post(`${codecUrl}/decode`, { payloads: [payload] })).status, 401);
      assert.equal((await post(`${codecUrl}/decode`, { payloads: [payload] }, { Authorization: 'Bearer not-the-token-0123456789' })).status, 401);

      // The Web UI is preset with the endpoint, and what the UI sends (POST <endpoint>/decode with
      // X-Namespace, from its origin, no Authorization header) decodes, with CORS for that origin only.
      const settings = (await (await fetch(`${uiUrl}/api/v1/settings`)).json()) as { Codec?: { Endpoint?: string } };
      const endpoint = settings.Codec?.Endpoint;
      assert.ok(endpoint?.startsWith(`${codecUrl}/`), `the UI's codec endpoint is the demo's codec server: ${endpoint}`);
      const fromUi = await post(`${endpoint}/decode`, { payloads: [payload] }, { Origin: uiUrl, 'X-Namespace': 'default' });
      assert.equal(fromUi.status, 200);
      assert.equal(fromUi.headers.get('access-control-allow-origin'), uiUrl);
      const preflight = (origin: string) =>
        fetch(`${endpoint}/decode`, {
          method: 'OPTIONS',
          headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace' },
        });
      const allowed = await preflight(uiUrl);
      assert.equal(allowed.status, 204);
      assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /X-Namespace/i);
      const refused = await preflight('http://attacker.example');
      assert.equal(refused.status, 403);
      assert.equal(refused.headers.get('access-control-allow-origin'), null);
    } finally {
      await connection.close();
    }

    // Ctrl-C: a clean exit, nothing left behind.
    const codecPort = Number(new URL(codecUrl).port);
    process.kill(-current.child.pid!, 'SIGINT');
    const { code } = await current.exited;
    assert.equal(code, 0, current.output());
    await waitUntil(async () => !(await portAccepts(serverPort(output))) && !(await portAccepts(codecPort)), {
      timeoutMs: 10_000,
      what: 'the server and codec server ports to close',
    });
    assert.throws(() => process.kill(-current.child.pid!, 0), { code: 'ESRCH' });
    assert.equal(fs.existsSync(tokenFile), false, 'the token file is removed at exit');
  });

  it('on Ctrl-C stops the worker and the server, exits 130 and leaves no process behind', async function () {
    demo = startDemo({ STEADFAST_DEMO_STAY_UP: '1' });
    const current = demo;
    await waitUntil(() => /workflow id /.test(current.output()), { timeoutMs: 90_000, what: 'the first run to start' });
    const port = serverPort(current.output());
    const [, codecPort, tokenFile] = /Codec: +http:\/\/127\.0\.0\.1:(\d+) \(token in (.+)\)/.exec(current.output()) ?? [];
    assert.ok(codecPort && tokenFile, current.output());
    assert.equal(await portAccepts(port), true, 'the embedded server is up while the demo runs');
    process.kill(-current.child.pid!, 'SIGINT');
    const { code } = await current.exited;
    assert.equal(code, 130, current.output());
    assert.match(current.output(), /Interrupted: stopping the worker gracefully/);
    await waitUntil(async () => !(await portAccepts(port)) && !(await portAccepts(Number(codecPort))), {
      timeoutMs: 10_000,
      what: 'the server and codec server ports to close',
    });
    assert.equal(fs.existsSync(tokenFile), false, 'the token file is removed at exit');
    // Nothing of the process group survives (the dev server would be a member of it).
    assert.throws(() => process.kill(-current.child.pid!, 0), { code: 'ESRCH' });
  });

  it('uses the server named by TEMPORAL_ADDRESS and starts none', async function () {
    const server = await startDevServer();
    try {
      // Without a terminal it exits by itself (0: every run ended as expected), and starts no codec server.
      demo = startDemo({ TEMPORAL_ADDRESS: server.address, STEADFAST_DEMO_STAY_UP: '0' });
      const { code } = await demo.exited;
      const output = demo.output();
      assert.equal(code, 0, output);
      assert.match(output, new RegExp(`Connecting to ${server.address}`));
      assert.match(output, /Demo finished: (\d+) of \1 runs ended as expected/);
      assert.doesNotMatch(output, /Web UI:|embedded|Codec:/);
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
