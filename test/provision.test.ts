/**
 * Server provisioning: the resolution order, the error that lists every attempt, and the
 * external-server rule (TEMPORAL_ADDRESS set → nothing is started).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig } from '../src/platform/config';
import { ProvisioningError, resolveServer, withResolvedServer } from '../src/platform/provision';
import { openTemporal, startDevServer, type TemporalHandle } from 'steadfast/testing';

function executable(dir: string, name: string, body = 'exit 1'): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`);
  fs.chmodSync(file, 0o755);
  return file;
}

describe('server provisioning', function () {
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-provision-'))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('resolves env path, then PATH, then the project cache, then the SDK download, in that order', function () {
    const envBin = executable(path.join(tmp, 'env'), 'my-temporal');
    const pathBin = executable(path.join(tmp, 'onpath'), 'temporal');
    const cacheDir = path.join(tmp, 'cache');
    const cacheBin = executable(cacheDir, 'temporal');
    const emptyCache = path.join(tmp, 'no-cache');
    const pathDir = path.dirname(pathBin);

    const sources = (env: NodeJS.ProcessEnv, cache: string) => {
      const r = resolveServer('cli', env, cache);
      return { sources: r.attempts.map((a) => `${a.source}:${a.ok}`), executable: r.executable };
    };
    assert.deepEqual(sources({ TEMPORAL_CLI_PATH: envBin, PATH: pathDir }, cacheDir), {
      sources: ['env:true'],
      executable: { type: 'existing-path', path: envBin },
    });
    assert.deepEqual(sources({ PATH: pathDir }, cacheDir), {
      sources: ['env:false', 'path:true'],
      executable: { type: 'existing-path', path: pathBin },
    });
    assert.deepEqual(sources({ PATH: '' }, cacheDir), {
      sources: ['env:false', 'path:false', 'project-cache:true'],
      executable: { type: 'existing-path', path: cacheBin },
    });
    assert.deepEqual(sources({ PATH: '' }, emptyCache), {
      sources: ['env:false', 'path:false', 'project-cache:false', 'sdk-download:true'],
      executable: { type: 'cached-download' },
    });
  });

  it('skips an explicit path that is not an executable file, saying so', function () {
    const r = resolveServer('test-server', { TEMPORAL_TEST_SERVER_PATH: path.join(tmp, 'missing'), PATH: '' }, tmp);
    assert.match(r.attempts[0].detail, /TEMPORAL_TEST_SERVER_PATH=.*missing is not an executable file/);
    assert.deepEqual(r.executable, { type: 'cached-download' });
  });

  it('fails with an error that lists what was tried, in order, and why', async function () {
    const broken = executable(path.join(tmp, 'env'), 'temporal', 'echo "this is not a Temporal server" >&2; exit 3');
    const err = await withResolvedServer(
      'cli',
      (exe) => TestWorkflowEnvironment.createLocal({ server: { executable: exe } }),
      { TEMPORAL_CLI_PATH: broken, PATH: '' },
      tmp,
    ).then(
      () => assert.fail('a broken binary must not start'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ProvisioningError, `expected ProvisioningError, got ${String(err)}`);
    assert.match(err.message, /could not start the Temporal CLI \(dev server\)\. Tried, in order:/);
    assert.match(err.message, /1\. env: TEMPORAL_CLI_PATH=.*temporal: failed/);
    assert.match(err.message, /npm run setup:temporal/);
  });

  describe('with TEMPORAL_ADDRESS set', function () {
    let server: TemporalHandle;
    before(async () => (server = await startDevServer()));
    after(async () => server?.close());

    it('connects to that server and starts nothing', async function () {
      const external = await openTemporal({}, loadConfig({ TEMPORAL_ADDRESS: server.address }));
      try {
        assert.equal(external.embedded, false);
        assert.equal(external.address, server.address);
        assert.equal(external.env, undefined);
        const info = await external.client.workflowService.getSystemInfo({});
        assert.ok(info.capabilities, 'the external server answered');
      } finally {
        await external.close();
      }
    });

    it('names the address it tried when the server is unreachable', async function () {
      const port = await import('../src/platform/servers').then((m) => m.freePort());
      await assert.rejects(
        openTemporal({}, loadConfig({ TEMPORAL_ADDRESS: `127.0.0.1:${port}` })),
        (err: Error) => err.message.includes(`127.0.0.1:${port}`) && /cannot reach the Temporal server/.test(err.message),
      );
    });
  });
});
