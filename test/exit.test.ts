/**
 * `exitWhenFlushed`: a process that prints a large report to a pipe and exits keeps every byte and
 * its exit code (a bare `process.exit()` kept the first 64 KB of a 230 KB chaos report).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const MODULE = path.join(__dirname, '..', 'src', 'platform', 'exit.ts');

describe('exitWhenFlushed', function () {
  it('exits with the code after a 1 MB stdout and a 200 KB stderr have gone through their pipes', function () {
    const script =
      `const { exitWhenFlushed } = require(${JSON.stringify(MODULE)});` +
      `process.stdout.write('o'.repeat(1_000_000)); process.stderr.write('e'.repeat(200_000)); exitWhenFlushed(3);` +
      `setTimeout(() => process.stdout.write('never'), 60_000);`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', maxBuffer: 8_000_000 });
    assert.equal(r.status, 3, r.stderr.slice(0, 500));
    assert.equal(r.stdout, 'o'.repeat(1_000_000));
    assert.equal(r.stderr, 'e'.repeat(200_000));
  });
});
