/**
 * `steadfast store prune --older-than <age>`: removes the idempotency keys of runs that closed
 * before that age, asking Temporal about each run first: a key of a run that is still open is
 * never removed. Keys without a recorded run (seeding, or recorded before runs were) and keys of
 * other namespaces are kept.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type * as StoreModule from '../../activity/store';
import type * as PruneModule from '../../activity/prune';
import type { CliConnection } from '../connect';
import { ok, type CommandOutput } from './output';

/* The store drivers are native modules that the other commands do not need: required on use. */
/* eslint-disable @typescript-eslint/no-require-imports */
const storeModule = () => require('../../activity/store') as typeof StoreModule;
const pruneModule = () => require('../../activity/prune') as typeof PruneModule;
/* eslint-enable @typescript-eslint/no-require-imports */

/** Options of `store prune`. */
export interface PruneCommandOptions {
  /** Milliseconds. */
  olderThanMs: number;
  dryRun?: boolean;
}

/** `steadfast store prune --older-than <age> [--dry-run]`. */
export async function prune(conn: CliConnection, opts: PruneCommandOptions): Promise<CommandOutput> {
  const store = storeModule().openStore(conn.config.storeUrl);
  try {
    const before = new Date(Date.now() - opts.olderThanMs);
    const report = await pruneModule().pruneKeys(store, {
      before,
      namespace: conn.namespace,
      dryRun: opts.dryRun,
      // The latest run of the id: open while it runs (a reset or continue-as-new run is the latest).
      isOpen: async (workflowId) => {
        try {
          return (await conn.client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) return false;
          throw err;
        }
      },
    });
    const json = { store: `${store.kind}:${store.location}`, namespace: conn.namespace, before: before.toISOString(), dryRun: Boolean(opts.dryRun), ...report };
    const verb = opts.dryRun ? 'would remove' : 'removed';
    return ok(
      json,
      `${json.store}: ${verb} ${report.removed} of ${report.candidates} key(s) recorded before ${json.before}` +
        ` (${report.workflows} workflow id(s) asked); kept ${report.keptOpen} of runs still open, ${report.keptUnowned} without a run in ${conn.namespace}`,
    );
  } finally {
    await store.close();
  }
}
