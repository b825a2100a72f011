/**
 * Finding and loading the project's `steadfast.config.ts` (or `.js`). A TypeScript config is
 * loaded through tsx's API: the config is the user's own source, so their project needs no build
 * step for the CLI; Steadfast itself ships compiled JavaScript.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../platform/config';
import type { SteadfastProject } from './project';

/** The config file names looked for, in order. */
export const CONFIG_FILES = ['steadfast.config.ts', 'steadfast.config.js'];

/** Thrown when the project has no usable config; the message says what to create. */
export class ProjectConfigError extends Error {
  override readonly name = 'ProjectConfigError';
}

/** The path of the project's config file, or undefined when it has none. */
export function findProjectConfig(root: string = PROJECT_ROOT): string | undefined {
  return CONFIG_FILES.map((f) => path.join(root, f)).find((f) => fs.existsSync(f));
}

const loaded = new Map<string, SteadfastProject>();

/**
 * Loads the project's config (once per process). Throws a {@link ProjectConfigError} when there is
 * none or it does not export a project.
 */
export function loadProject(root: string = PROJECT_ROOT): SteadfastProject {
  const file = findProjectConfig(root);
  if (!file) {
    throw new ProjectConfigError(
      `no ${CONFIG_FILES.join(' or ')} in ${root}: declare your workflows, activities and workflow types there ` +
        '(see docs/tutorial.md), or run "npx steadfast init <dir>" for a new project',
    );
  }
  const cached = loaded.get(file);
  if (cached) return cached;
  /* eslint-disable @typescript-eslint/no-require-imports -- loading the user's config by path */
  if (file.endsWith('.ts') && !require.extensions['.ts']) {
    // Registered for the whole process (the CLI's own), not through tsx's namespaced require: tsx
    // reuses what it compiled before (its cache on disk) only for its process-wide loader, and
    // compiling the config and all it imports again cost every worker start 0.9 s.
    (require('tsx/cjs/api') as { register: () => unknown }).register();
  }
  const mod = require(file);
  /* eslint-enable @typescript-eslint/no-require-imports */
  const declared = ((mod as { default?: unknown }).default ?? mod) as SteadfastProject;
  if (!declared || typeof declared.workflowsPath !== 'string' || typeof declared.activities !== 'function') {
    throw new ProjectConfigError(
      `${file}: the default export must be defineConfig({ workflowsPath, activities, ... }); ` +
        'workflowsPath (a string) and activities (a function of the store) are required',
    );
  }
  loaded.set(file, declared);
  return declared;
}
