/**
 * `steadfast seed`: prepares the business data that runs started from the CLI work on (the
 * project's `seed` in `steadfast.config.ts`; the reference application opens the simulated bank's
 * accounts and stocks its warehouse). Seeding again changes nothing. It needs no Temporal server.
 */
import type * as StoreModule from '../../activity/store';
import { loadProject } from '../../config/load';
import type { SteadfastConfig } from '../../platform/config';
import { UsageError } from '../cli-errors';
import { ok, type CommandOutput } from './output';

/* The store drivers are native modules that the other commands do not need: required on use. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const storeModule = () => require('../../activity/store') as typeof StoreModule;

/** `steadfast seed [--tag <tag>]`: the project's seed data, with `-<tag>` on every id. */
export async function seed(config: SteadfastConfig, opts: { tag?: string }): Promise<CommandOutput> {
  const project = loadProject();
  if (!project.seed) {
    throw new UsageError({
      code: 'no-seed',
      message: 'this project declares no seed data: add seed(store) to steadfast.config.ts',
      field: 'seed',
      expected: 'a project whose steadfast.config.ts declares seed()',
    });
  }
  const store = storeModule().openStore(config.storeUrl);
  try {
    await project.prepareStore?.(store);
    const { json, text } = await project.seed(store, opts);
    return ok(json, text);
  } finally {
    await store.close();
  }
}
