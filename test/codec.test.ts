/**
 * Payload encryption end to end on a real dev server: a finance run (compensated, so it fails with
 * a message) and a care run (input, a signal and an update with clinical data) are written through
 * the codec. The raw history holds none of their sensitive values nor the failure text; the CLI
 * with the keys shows them; a wrong or missing key is an error naming the key id; the history
 * replays; after a rotation old runs still decode and new payloads use the new key; the codec
 * server decodes for the real `temporal` CLI.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { seedFinance, sampleOrder } from '../activities/finance-seed';
import type { EffectStore } from 'steadfast/activity';
import { FAULT_PLAN_MEMO_KEY, workflowStartOptions } from 'steadfast/client';
import { startDevServer, freePort, type TemporalHandle } from '../src/platform/servers';
import { CodecKeyError, fetchDecodedHistory, KEY_ID_METADATA, parseCodecKeys, steadfastDataConverter, type CodecKeyRing } from '../src/codec';
import { carePathway, orderFulfillment } from '../workflows';
import { addNoteUpdate, signOffSignal } from '../workflows/care-pathway';
import { referenceBundle, referenceWorker } from './reference-worker';
import { runCli, spawnCli, type CliProcess } from './cli-process';
import { temporalCliPath } from './dev-server-process';
import { tempSqliteStore, uniqueId, waitUntil } from './helpers';

const b64 = () => randomBytes(32).toString('base64');

/** The bytes of a history as the server stores them (protobuf). */
function bytesOf(history: proto.api.history.v1.IHistory): Buffer {
  return Buffer.from(proto.api.history.v1.History.encode(history).finish());
}

function assertAbsent(bytes: Buffer, secrets: string[], what: string): void {
  for (const s of secrets) assert.equal(bytes.includes(Buffer.from(s)), false, `${what} contains "${s}" in plain text`);
}

describe('payload encryption (codec) on a dev server', function () {
  this.timeout(300_000);
  const tag = randomBytes(4).toString('hex');
  const secret = {
    email: `codec-${tag}@example.com`,
    address: `${tag} Confidential Lane, Springfield`,
    patient: `patient-secret-${tag}`,
    ward: `ward-secret-${tag}`,
    clinician: `Dr Secret ${tag}`,
    note: `clinical note ${tag}: allergic to penicillin`,
  };
  const k1 = b64();
  const k2 = b64();
  const keyDocs = {
    k1: { current: 'k1', keys: { k1 } },
    rotated: { current: 'k2', keys: { k1, k2 } },
    wrongK1: { current: 'k1', keys: { k1: b64() } },
  };
  let dir: string;
  const keyFile: Record<keyof typeof keyDocs, string> = { k1: '', rotated: '', wrongK1: '' };
  let ring1: CodecKeyRing;
  let ring2: CodecKeyRing;
  let temporal: TemporalHandle;
  let store: EffectStore;
  let storeCleanup: () => Promise<void>;
  let plain: Client;
  let order: WorkflowHandle;
  let care: WorkflowHandle;
  let orderFailure: string;
  const taskQueue = uniqueId('codec-tq');

  const cli = (args: string[], keys?: string, extra: Record<string, string | undefined> = {}) =>
    runCli(args, {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      STEADFAST_TASK_QUEUE: taskQueue,
      STEADFAST_CODEC_KEYS_FILE: keys,
      STEADFAST_CODEC_KEYS: undefined,
      ...extra,
    });

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-codec-'));
    for (const [name, doc] of Object.entries(keyDocs) as [keyof typeof keyDocs, unknown][]) {
      keyFile[name] = path.join(dir, `${name}.json`);
      fs.writeFileSync(keyFile[name], JSON.stringify(doc), { mode: 0o600 });
    }
    ring1 = parseCodecKeys(JSON.stringify(keyDocs.k1), 'test k1');
    ring2 = parseCodecKeys(JSON.stringify(keyDocs.rotated), 'test rotated');
    temporal = await startDevServer({ codecKeys: ring1 });
    plain = new Client({ connection: temporal.client.connection, namespace: temporal.namespace });
    ({ store, cleanup: storeCleanup } = await tempSqliteStore());
    const fixture = await seedFinance(store, tag);
    const worker = await referenceWorker({ connection: temporal.nativeConnection, namespace: temporal.namespace, taskQueue, store, codecKeys: ring1 });
    await worker.runUntil(async () => {
      // Compensated: the carrier rejects the shipment for good, so the run fails with a message.
      order = await temporal.client.workflow.start(orderFulfillment, {
        taskQueue,
        workflowId: uniqueId('order'),
        args: [sampleOrder(fixture, uniqueId('o'), { customerEmail: secret.email, shippingAddress: secret.address })],
        memo: { [FAULT_PLAN_MEMO_KEY]: { createShipment: { kind: 'permanent' } } },
        ...workflowStartOptions(),
      });
      orderFailure = await order.result().then(
        () => assert.fail('the order should fail'),
        (err: Error) => {
          const messages: string[] = [];
          for (let e: unknown = err; e instanceof Error; e = e.cause) messages.push(e.message);
          return messages.find((m) => m.includes('[simulated]')) ?? assert.fail(`no simulated fault in ${messages.join(' / ')}`);
        },
      );
      care = await temporal.client.workflow.start(carePathway, {
        taskQueue,
        workflowId: uniqueId('care'),
        args: [{ patientId: secret.patient, ward: secret.ward, followUpAfter: '1s', signOffWithin: '2 minutes' }],
        ...workflowStartOptions(),
      });
      assert.equal(await care.executeUpdate(addNoteUpdate, { args: [{ author: secret.clinician, text: secret.note }] }), 1);
      await care.signal(signOffSignal, { clinician: secret.clinician });
      assert.equal((await care.result()).patientId, secret.patient);
    });
  });

  after(async function () {
    await storeCleanup?.();
    await temporal?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the raw histories hold none of the sensitive values nor the failure text', async function () {
    const secrets = Object.values(secret);
    for (const run of [order, care]) {
      const raw = await plain.workflow.getHandle(run.workflowId).fetchHistory();
      assertAbsent(bytesOf(raw), [...secrets, orderFailure, '[simulated]'], `the raw history of ${run.workflowId}`);
      // And the check is meaningful: decoded with the keys, they are there.
      const decoded = bytesOf(await fetchDecodedHistory(temporal.client.workflow.getHandle(run.workflowId)));
      const expected = run === order ? [secret.email, secret.address, '[simulated]'] : [secret.patient, secret.ward, secret.clinician, secret.note];
      for (const s of expected) assert.ok(decoded.includes(Buffer.from(s)), `the decoded history of ${run.workflowId} lacks "${s}"`);
    }
    const started = (await plain.workflow.getHandle(care.workflowId).fetchHistory()).events![0].workflowExecutionStartedEventAttributes!;
    const metadata = started.input!.payloads![0].metadata!;
    assert.equal(Buffer.from(metadata.encoding!).toString(), 'binary/encrypted');
    assert.equal(Buffer.from(metadata[KEY_ID_METADATA]!).toString(), 'k1');
  });

  it('the CLI with the key shows status, result, faults and history decoded', async function () {
    const status = await cli(['status', order.workflowId, '--json'], keyFile.k1);
    assert.equal(status.code, 0, status.stderr);
    assert.ok(status.stdout.includes('[simulated] permanent fault'), status.stdout);

    const result = await cli(['result', care.workflowId, '--json'], keyFile.k1);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stdout.includes(secret.patient), result.stdout);

    const failed = await cli(['result', order.workflowId, '--json'], keyFile.k1);
    assert.equal(failed.code, 1, failed.stderr);
    assert.ok(failed.stdout.includes('[simulated] permanent fault'), failed.stdout);

    const faults = await cli(['faults', '--json', '--limit', '500'], keyFile.k1);
    assert.equal(faults.code, 0, faults.stderr);
    const found = (JSON.parse(faults.stdout) as { runs: { workflowId: string; causes: string[] }[] }).runs.find((r) => r.workflowId === order.workflowId);
    assert.ok(found, faults.stdout);
    assert.ok(found.causes.join('\n').includes('[simulated] permanent fault'), found.causes.join('\n'));

    const out = path.join(dir, 'care-history.json');
    const history = await cli(['history', care.workflowId, '--out', out, '--json'], keyFile.k1);
    assert.equal(history.code, 0, history.stderr);
    assert.equal(fs.statSync(out).mode & 0o777, 0o600, 'history --out writes an owner-only file');
    const json = JSON.parse(fs.readFileSync(out, 'utf8')) as { events: { workflowExecutionStartedEventAttributes?: { input: { payloads: { data: string }[] } } }[] };
    const input = Buffer.from(json.events[0].workflowExecutionStartedEventAttributes!.input.payloads[0].data, 'base64').toString();
    assert.ok(input.includes(secret.patient), input);
  });

  it('a wrong or a missing key is an error naming the key id, not garbage', async function () {
    for (const keys of [keyFile.wrongK1, undefined]) {
      const r = await cli(['result', care.workflowId, '--json'], keys);
      assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
      const error = (JSON.parse(r.stdout) as { error: { code: string; message: string; field: string } }).error;
      assert.equal(error.code, 'codec-key');
      assert.match(error.message, /key "k1"/);
      assert.equal(error.field, 'STEADFAST_CODEC_KEYS_FILE');
      assert.equal(r.stdout.includes(secret.patient), false);
    }
    const wrong = new Client({
      connection: temporal.client.connection,
      namespace: temporal.namespace,
      dataConverter: steadfastDataConverter(parseCodecKeys(JSON.stringify(keyDocs.wrongK1), 'wrong keys')),
    });
    await assert.rejects(wrong.workflow.getHandle(care.workflowId).result(), (err: unknown) => {
      assert.ok(err instanceof CodecKeyError, String(err));
      assert.equal(err.keyId, 'k1');
      return true;
    });
  });

  it('a history recorded with the codec replays', async function () {
    for (const run of [order, care]) {
      const raw = await plain.workflow.getHandle(run.workflowId).fetchHistory();
      await Worker.runReplayHistory(
        { workflowBundle: await referenceBundle([], { encodeFailures: true }), dataConverter: steadfastDataConverter(ring1) },
        raw,
        run.workflowId,
      );
    }
  });

  it('after a rotation old runs still decode and new payloads use the new key', async function () {
    const rotatedQueue = uniqueId('codec-rotated-tq');
    const client = new Client({ connection: temporal.client.connection, namespace: temporal.namespace, dataConverter: steadfastDataConverter(ring2) });
    const worker = await referenceWorker({ connection: temporal.nativeConnection, namespace: temporal.namespace, taskQueue: rotatedQueue, store, codecKeys: ring2 });
    const fresh = await worker.runUntil(async () => {
      const handle = await client.workflow.start(carePathway, {
        taskQueue: rotatedQueue,
        workflowId: uniqueId('care-rotated'),
        args: [{ patientId: secret.patient, ward: secret.ward, followUpAfter: '1s' }],
        ...workflowStartOptions(),
      });
      await handle.result();
      return handle;
    });
    const events = (await plain.workflow.getHandle(fresh.workflowId).fetchHistory()).events!;
    const keyIds = new Set(
      events.flatMap((e) => [
        ...(e.workflowExecutionStartedEventAttributes?.input?.payloads ?? []),
        ...(e.workflowExecutionCompletedEventAttributes?.result?.payloads ?? []),
        ...(e.activityTaskCompletedEventAttributes?.result?.payloads ?? []),
      ]).map((p) => Buffer.from(p.metadata![KEY_ID_METADATA]!).toString()),
    );
    assert.deepEqual([...keyIds], ['k2']);
    for (const id of [care.workflowId, fresh.workflowId]) {
      const r = await cli(['result', id, '--json'], keyFile.rotated);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.includes(secret.patient));
    }
    const old = await cli(['result', fresh.workflowId, '--json'], keyFile.k1);
    assert.equal(old.code, 2);
    assert.match(old.stdout, /key \\"k2\\"/);
  });

  describe('steadfast codec-server', function () {
    const token = randomBytes(24).toString('hex');
    let server: CliProcess;
    let url: string;

    before(async function () {
      const port = await freePort();
      server = spawnCli(['codec-server', '--port', String(port), '--ui-origin', 'http://127.0.0.1:8233'], {
        STEADFAST_CODEC_KEYS_FILE: keyFile.k1,
        STEADFAST_CODEC_SERVER_TOKEN: token,
      });
      url = (await server.waitFor('ready')).url as string;
      assert.equal(url, `http://127.0.0.1:${port}`);
    });

    after(async function () {
      await server?.stop();
    });

    const post = (op: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${url}/${op}`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...headers } });

    it('the temporal CLI decodes a history through it', async function () {
      const show = (extra: string[]) =>
        spawnSync(temporalCliPath(), ['workflow', 'show', '-w', care.workflowId, '--address', temporal.address, '--namespace', temporal.namespace, '--output', 'json', ...extra], {
          encoding: 'utf8',
        });
      // Payload data is base64 in the JSON output: the text of every "data" field, decoded.
      const payloadText = (stdout: string) =>
        [...stdout.matchAll(/"data":\s*"([A-Za-z0-9+/=]*)"/g)].map((m) => Buffer.from(m[1], 'base64').toString('utf8')).join('\n');
      const raw = show([]);
      assert.equal(raw.status, 0, raw.stderr);
      assert.equal(payloadText(raw.stdout).includes(secret.patient), false, 'without the codec server the history stays encrypted');
      const decoded = show(['--codec-endpoint', url, '--codec-auth', `Bearer ${token}`]);
      assert.equal(decoded.status, 0, decoded.stderr);
      const text = payloadText(decoded.stdout);
      assert.ok(text.includes(secret.patient), text.slice(0, 2000));
      assert.ok(text.includes(secret.note));
      // Without the token the codec server refuses, and the CLI shows nothing decoded.
      const refused = show(['--codec-endpoint', url]);
      assert.equal(payloadText(refused.stdout).includes(secret.patient), false);
    });

    it('answers 401 without the token, 400 to a malformed body, and keeps serving', async function () {
      const payloads = JSON.stringify({ payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"x"').toString('base64') }] });
      assert.equal((await post('decode', payloads)).status, 401);
      assert.equal((await post('decode', payloads, { Authorization: 'Bearer not-the-token-at-all' })).status, 401);
      for (const body of ['{not json', '{"payloads": 3}', '{"payloads": [{"data": "***"}]}']) {
        const r = await post('decode', body, { Authorization: `Bearer ${token}` });
        assert.equal(r.status, 400, body);
        assert.ok(((await r.json()) as { error: string }).error);
      }
      const encoded = await post('encode', payloads, { Authorization: `Bearer ${token}` });
      assert.equal(encoded.status, 200);
      const roundTrip = await post('decode', await encoded.text(), { Authorization: `Bearer ${token}` });
      assert.equal(roundTrip.status, 200);
      assert.equal(await roundTrip.text(), payloads);
      // The token in the path, for a Web UI that cannot add headers.
      assert.equal((await fetch(`${url}/${token}/decode`, { method: 'POST', body: payloads })).status, 200);
      await waitUntil(() => server.child.exitCode === null, { what: 'the codec server still running' });
    });

    it('allows CORS for the configured UI origin only', async function () {
      const preflight = (origin: string) =>
        fetch(`${url}/decode`, {
          method: 'OPTIONS',
          headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace,authorization' },
        });
      const allowed = await preflight('http://127.0.0.1:8233');
      assert.equal(allowed.status, 204);
      assert.equal(allowed.headers.get('access-control-allow-origin'), 'http://127.0.0.1:8233');
      assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /X-Namespace/);
      const other = await preflight('http://evil.example');
      assert.equal(other.status, 403);
      assert.equal(other.headers.get('access-control-allow-origin'), null);
    });
  });
});
