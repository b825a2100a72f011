/**
 * Secrets never reach output: one run through a `steadfast worker` process and the CLI, with a
 * codec key, a Temporal API key and a database password in the configuration, and every byte they
 * print (worker, start, status, result, history, faults, list, and errors) searched for them.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevServer, type TemporalHandle } from '../src/platform/servers';
import { runCli, spawnCli } from './cli-process';
import { uniqueId } from './helpers';
import { pgTestUrl, storeBackends, type TempStore } from './stores';

describe('secrets in configuration never appear in output', function () {
  this.timeout(300_000);
  const pg = storeBackends.find((b) => b.name === 'postgres')!;
  let temporal: TemporalHandle;
  let store: TempStore;
  let dir: string;

  before(async function () {
    pg.require(this);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-secrets-'));
    temporal = await startDevServer();
    store = await pg.open();
  });

  after(async function () {
    await store?.cleanup();
    await temporal?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a worker and the CLI print no codec key, API key or database password', async function () {
    const key = randomBytes(32);
    const apiKey = `api-${randomBytes(16).toString('hex')}`;
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const storeUrl = new URL(store.url);
    storeUrl.password = password; // the test server trusts local connections: the password is carried, not checked
    const env = {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      TEMPORAL_API_KEY: apiKey,
      TEMPORAL_TLS: 'false', // the dev server speaks plain gRPC; the API key still travels as metadata
      STEADFAST_TASK_QUEUE: uniqueId('secrets-tq'),
      STEADFAST_STORE: storeUrl.toString(),
      STEADFAST_CODEC_KEYS: JSON.stringify({ current: 'k1', keys: { k1: key.toString('base64') } }),
      STEADFAST_CODEC_KEYS_FILE: undefined,
    };
    const outputs: string[] = [];
    const worker = spawnCli(['worker'], env);
    try {
      await worker.waitFor('ready');
      const id = uniqueId('care');
      const input = JSON.stringify({ patientId: 'p-secrets', ward: 'icu', followUpAfter: '1s' });
      const started = await runCli(['start', 'carePathway', '--id', id, '--input', input, '--wait', '--json'], env);
      assert.equal(started.code, 0, started.stderr);
      for (const args of [['status', id], ['result', id], ['history', id], ['faults'], ['list']]) {
        for (const json of [true, false]) {
          const r = await runCli(json ? [...args, '--json'] : args, env);
          assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
          outputs.push(r.stdout, r.stderr);
        }
      }
      // Errors too: a wrong key, a bad store URL, a missing codec key file.
      const wrong = { ...env, STEADFAST_CODEC_KEYS: JSON.stringify({ current: 'k1', keys: { k1: randomBytes(32).toString('base64') } }) };
      const badKey = await runCli(['result', id, '--json'], wrong);
      assert.equal(badKey.code, 2);
      const badStore = await runCli(['seed', '--json'], { ...env, STEADFAST_STORE: `mysql://admin:${password}@db.example/x` });
      assert.equal(badStore.code, 2);
      const badJson = await runCli(['list', '--json'], { ...env, STEADFAST_CODEC_KEYS: `{"current": "k1", "keys": {"k1": "${key.toString('base64')}"` });
      assert.equal(badJson.code, 2);
      outputs.push(started.stdout, started.stderr, badKey.stdout, badKey.stderr, badStore.stdout, badStore.stderr, badJson.stdout, badJson.stderr);
    } finally {
      assert.equal(await worker.stop('SIGTERM'), 0, worker.output());
      outputs.push(worker.output());
    }
    const all = outputs.join('\n');
    assert.ok(all.includes('p-secrets'), 'the outputs are the decoded ones');
    for (const [what, secret] of [
      ['codec key (base64)', key.toString('base64')],
      ['codec key (hex)', key.toString('hex')],
      ['API key', apiKey],
      ['database password', password],
    ]) {
      assert.equal(all.includes(secret), false, `the ${what} appears in the output`);
    }
    assert.ok(pgTestUrl());
  });
});
