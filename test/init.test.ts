/**
 * `steadfast init`, run as the real CLI: it refuses a non-empty folder without writing, and
 * scaffolds the user's layout. (scripts/scaffold-e2e.sh installs and runs a scaffold for real.)
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from './cli-process';

describe('steadfast init', () => {
  let root: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-init-test-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  /** Every file under `dir`, relative and sorted. */
  function filesUnder(dir: string): string[] {
    return (fs.readdirSync(dir, { recursive: true }) as string[])
      .filter((f) => fs.statSync(path.join(dir, f)).isFile())
      .map((f) => f.split(path.sep).join('/'))
      .sort();
  }

  it('exits 2 naming a non-empty folder, and writes nothing into it', async () => {
    const dir = path.join(root, 'taken');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    const result = await runCli(['init', dir], {});
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /taken" is not empty/);
    assert.deepEqual(filesUnder(dir), ['notes.txt']);
  });

  it('exits 2 without a folder', async () => {
    const result = await runCli(['init', '--json'], {});
    assert.equal(result.code, 2);
    assert.equal((JSON.parse(result.stdout) as { error: { field: string } }).error.field, '<dir>');
  });

  it("scaffolds the user's layout, depending on the Steadfast spec given", async () => {
    const dir = path.join(root, 'My Trips');
    const result = await runCli(['init', dir, '--steadfast', 'file:../steadfast-0.1.0.tgz', '--json'], {});
    assert.equal(result.code, 0, result.stderr);
    const expected = [
      '.gitignore',
      'README.md',
      'activities/index.ts',
      'client/book-trip.ts',
      'client/main.ts',
      'package.json',
      'steadfast.config.ts',
      'test/book-trip.test.ts',
      'tsconfig.json',
      'workers/main.ts',
      'workers/trip-worker.ts',
      'workflows/book-trip.ts',
      'workflows/index.ts',
    ];
    assert.deepEqual(filesUnder(dir), expected);
    assert.deepEqual((JSON.parse(result.stdout) as { files: string[] }).files, expected);

    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      name: string;
      scripts: Record<string, string>;
      dependencies: Record<string, string>;
    };
    const own = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    assert.equal(pkg.name, 'my-trips');
    assert.equal(pkg.dependencies.steadfast, 'file:../steadfast-0.1.0.tgz');
    assert.equal(pkg.dependencies['@temporalio/workflow'], own.dependencies['@temporalio/workflow']);
    assert.equal(pkg.scripts.pretest, 'steadfast setup');
  });
});
