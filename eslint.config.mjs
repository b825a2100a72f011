// ESLint flat config. Workflow files run in Temporal's deterministic sandbox, so they get extra
// rules: no Node builtins, activities imported as types only, no raw randomness or timers.
// (The sandbox's Date is deterministic, so workflow code may read the time through it.)
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  // lint-violations holds deliberately bad workflow code for test/lint.test.ts.
  { ignores: ['node_modules/**', '.steadfast/**', 'dist/**', 'test/fixtures/lint-violations/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: [
      'workflows/**/*.ts',
      'test/fixtures/changed-workflows/**/*.ts',
      'test/fixtures/buggy-workflows/**/*.ts',
      'test/fixtures/lint-violations/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code runs in a sandbox: no Node builtins.' })),
          patterns: [
            {
              group: ['**/activities', '**/activities/**'],
              allowTypeImports: true,
              message: 'Workflows import activities as types only: `import type { Activities } from "../activities"`.',
            },
            {
              group: ['@temporalio/worker', '@temporalio/client', '@temporalio/activity', '@temporalio/testing'],
              message: 'Workflow code may import only @temporalio/workflow and @temporalio/common.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use sleep() in a loop from @temporalio/workflow.' },
        { name: 'process', message: 'No process state in workflows.' },
        { name: 'require', message: 'Use static imports in workflows.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use uuid4() or a seeded value passed in; Math.random is not replay-safe.' },
        { object: 'crypto', property: 'randomUUID', message: 'Use uuid4() from @temporalio/workflow.' },
      ],
    },
  },
);
