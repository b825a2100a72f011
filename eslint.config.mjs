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
  // The library (src/) never imports the reference application, tests or benchmarks: an import that
  // climbs out of src/ is refused (checked per folder depth, so `../client` inside src/ is still the
  // library's own src/client). Activity code imports only src/common besides its own modules.
  ...[
    ['src/*.ts', '^\\.\\./'],
    ['src/*/*.ts', '^\\.\\./\\.\\./'],
    ['src/*/*/*.ts', '^\\.\\./\\.\\./\\.\\./'],
  ].map(([glob, climbsOut]) => ({
    files: [glob],
    ignores: ['src/workflow/**', 'src/common/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: climbsOut, message: 'The library (src/) never imports the reference application, tests or benchmarks.' },
            { regex: '^steadfast(/|$)', message: 'Inside src/, import the library by relative path.' },
          ],
        },
      ],
    },
  })),
  {
    files: ['src/activity/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(\\.\\./)+\\.\\./', message: 'The library (src/) never imports the reference application, tests or benchmarks.' },
            {
              regex: '^\\.\\./(workflow|worker|client|cli|chaos|testing|platform|config)(/|$)',
              message: 'Activity code (src/activity) imports only src/common and its own modules.',
            },
          ],
        },
      ],
    },
  },
  // The reference application uses the library only through its public entry points.
  {
    files: ['workflows/**/*.ts', 'activities/**/*.ts', 'workers/**/*.ts', 'client/**/*.ts', 'chaos/**/*.ts', 'contracts/**/*.ts', 'steadfast.config.ts'],
    ignores: ['workflows/**/*.ts', 'contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '(^|/)src(/|$)', message: 'The reference application imports the library as steadfast/<entry>, like any user.' },
          ],
        },
      ],
    },
  },
  {
    files: [
      'workflows/**/*.ts',
      'template/workflows/**/*.ts',
      'contracts/**/*.ts',
      'src/workflow/**/*.ts',
      'src/common/**/*.ts',
      'src/schemas/**/*.ts',
      'bench/saga/workflows.ts',
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
            {
              regex: '^\\.\\./(activity|worker|client|cli|chaos|testing|platform|config)(/|$)',
              message: 'Workflow code runs in the sandbox: src/workflow and src/common import only each other.',
            },
            {
              regex: '^steadfast(/(?!(workflow|schemas)$).*)?$',
              message: 'Workflow code imports only steadfast/workflow and steadfast/schemas from the library.',
            },
            {
              regex: '(^|/)src(/|$)|^(\\.\\./)+(workers|client|chaos|test|bench)(/|$)',
              message: 'The reference application imports the library as steadfast/workflow, like any user; the library never imports it.',
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
