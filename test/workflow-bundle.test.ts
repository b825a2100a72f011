/**
 * A workflow bundle holds one copy of Steadfast: the workflows' `steadfast/workflow` and
 * `steadfast/schemas` resolve to the copy the interceptor modules come from. In this checkout the
 * tests run the sources while the package's exports name `dist/`; without the aliases the bundle
 * held both, and zod twice (its ESM build for the sources, its CommonJS build for `dist/`), which
 * made every bundle and every worker start slower.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { workflowBundle, type WorkflowBundlerOptions } from 'steadfast/worker';
import { referenceBundle } from './reference-worker';

const SOURCES = path.join(__dirname, '..', 'src');

/** The module ids of a development-mode webpack bundle (`"./src/workflow/index.ts": ...`). */
function moduleIds(code: string): string[] {
  return [...code.matchAll(/^\/\*\*\*\/ "([^"]+)"/gm)].map((m) => m[1]!);
}

describe('workflow bundles', function () {
  it("the reference application's bundle holds Steadfast's sources once, no dist/, and one build of zod", async function () {
    const ids = moduleIds((await referenceBundle()).code);
    assert.ok(ids.length > 100, `the bundle's module ids were read (${ids.length})`);
    assert.ok(ids.includes('./src/workflow/index.ts'), 'steadfast/workflow is bundled from the sources');
    assert.ok(ids.includes('./src/schemas/index.ts'), 'steadfast/schemas is bundled from the sources');
    assert.deepEqual(ids.filter((id) => id.startsWith('./dist/')), [], 'nothing from dist/');
    const zod = ids.filter((id) => id.startsWith('./node_modules/zod/'));
    assert.ok(zod.length > 0, 'zod is bundled');
    assert.deepEqual(zod.filter((id) => id.endsWith('.cjs')), [], "zod's CommonJS build is not bundled beside its ESM build");
  });

  it("a project's webpack hook runs after Steadfast's aliases, so that its own win", async function () {
    let seen: Record<string, unknown> | undefined;
    const bundlerOptions: WorkflowBundlerOptions = {
      webpackConfigHook: (config) => {
        seen = { ...(config.resolve?.alias as Record<string, unknown>) };
        return config;
      },
    };
    const { code } = await workflowBundle({ workflowsPath: require.resolve('./fixtures/zod-free-workflows'), bundlerOptions });
    assert.equal(seen?.['steadfast/workflow$'], path.join(SOURCES, 'workflow', 'index.ts'));
    assert.equal(seen?.['steadfast/schemas$'], path.join(SOURCES, 'schemas', 'index.ts'));
    assert.deepEqual(moduleIds(code).filter((id) => id.startsWith('./dist/')), [], 'nothing from dist/');
  });
});
