/**
 * The reference application, declared for the `steadfast` CLI the way a user's own project declares
 * itself: its workflows and activities (for `steadfast worker`), its workflow types with their
 * schemas (for `steadfast start`), its seed data, its demo and its workflow types under chaos.
 */
import { defineConfig } from 'steadfast';
import { createActivities, prepareStore } from './activities';
import { seedForCli } from './activities/finance-seed';
import { CHAOS_TYPES } from './chaos';
import { runDemo } from './client/demo';
import { WORKFLOW_TYPES } from './client/schemas';

export default defineConfig({
  workflowsPath: require.resolve('./workflows'),
  activities: createActivities,
  prepareStore,
  workflowTypes: WORKFLOW_TYPES,
  seed: seedForCli,
  demo: runDemo,
  chaos: { types: CHAOS_TYPES },
});
