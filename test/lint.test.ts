/**
 * The determinism rules are enforced by lint: linting deliberately bad workflow code reports each
 * rule, and the project's own workflows are clean.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '..');

describe('lint: determinism rules for workflow code', function () {
  this.timeout(120_000);

  it('flags Node builtins, value imports of activities, floating promises, timers and Math.random', async function () {
    const eslint = new ESLint({ cwd: ROOT, ignore: false });
    const [result] = await eslint.lintFiles([path.join(ROOT, 'test/fixtures/lint-violations/workflow.ts')]);
    const found = result.messages.map((m) => `${m.ruleId}: ${m.message}`);
    const expect = [
      /no-restricted-imports: 'node:fs' import is restricted.*no Node builtins/,
      /no-restricted-imports: '\.\.\/\.\.\/\.\.\/activities' import is restricted.*activities as types only/,
      /@typescript-eslint\/no-floating-promises:/,
      /no-restricted-globals: Unexpected use of 'setTimeout'/,
      /no-restricted-properties: 'Math\.random' is restricted/,
    ];
    for (const pattern of expect) {
      assert.ok(found.some((f) => pattern.test(f)), `expected ${pattern} among:\n${found.join('\n')}`);
    }
  });

  it('finds nothing in workflows/', async function () {
    const eslint = new ESLint({ cwd: ROOT });
    const results = await eslint.lintFiles([path.join(ROOT, 'workflows')]);
    const problems = results.flatMap((r) => r.messages.map((m) => `${r.filePath}:${m.line} ${m.ruleId} ${m.message}`));
    assert.deepEqual(problems, []);
  });
});
